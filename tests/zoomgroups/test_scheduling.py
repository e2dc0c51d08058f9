"""Scheduling rules: Fridays in the program's zone, and at most ten sessions per cohort."""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from tests.zoomgroups.conftest import FRIDAY_NOON, NEW_YORK, make_session
from zoomgroups import services
from zoomgroups.models import GroupSession

pytestmark = pytest.mark.django_db


def ten_fridays():
    return services.fridays(first=FRIDAY_NOON.date(), time=dt.time(12), count=10)


def test_a_friday_in_new_york_is_accepted(cohort):
    session = make_session(cohort)

    assert session.slot == 1
    assert session.duration_minutes == 75


def test_a_thursday_is_refused_with_a_clear_message(cohort):
    thursday = FRIDAY_NOON - dt.timedelta(days=1)

    with pytest.raises(ValidationError) as info:
        make_session(cohort, starts_at=thursday)

    assert "Friday" in str(info.value)
    assert "Thursday" in str(info.value)
    assert not GroupSession.objects.exists()


def test_friday_is_judged_in_the_programs_time_zone_not_utc(cohort):
    # Friday 21:00 in New York is already Saturday in UTC: still a Friday for the program.
    late_friday = dt.datetime(2027, 3, 19, 21, 0, tzinfo=NEW_YORK)
    assert late_friday.astimezone(dt.UTC).weekday() == 5
    assert make_session(cohort, starts_at=late_friday).pk

    # Friday 01:00 in Tokyo is Thursday in New York: refused.
    tokyo_friday = dt.datetime(2027, 3, 19, 1, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))
    with pytest.raises(ValidationError):
        make_session(cohort, starts_at=tokyo_friday)


def test_program_time_zone_is_a_setting(cohort, settings):
    settings.PROGRAM_TIME_ZONE = "Asia/Tokyo"
    tokyo_friday = dt.datetime(2027, 3, 19, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))

    assert make_session(cohort, starts_at=tokyo_friday).pk


def test_the_eleventh_session_is_refused(cohort):
    services.schedule_sessions(cohort=cohort, starts=ten_fridays(), topic="Group")

    with pytest.raises(ValidationError) as info:
        make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(weeks=20))

    assert "already has 10 Friday groups" in str(info.value)
    assert GroupSession.objects.filter(cohort=cohort).count() == 10


def test_a_batch_that_would_pass_the_limit_is_refused_whole(cohort):
    services.schedule_sessions(cohort=cohort, starts=ten_fridays()[:8], topic="Group")

    with pytest.raises(ValidationError) as info:
        services.schedule_sessions(
            cohort=cohort,
            starts=services.fridays(first=dt.date(2027, 6, 4), time=dt.time(12), count=3),
            topic="Extra",
        )

    assert "adding 3 would make 11" in str(info.value)
    assert GroupSession.objects.filter(cohort=cohort).count() == 8


def test_the_limit_is_per_cohort(cohort, other_cohort):
    services.schedule_sessions(cohort=cohort, starts=ten_fridays(), topic="Group")

    assert make_session(other_cohort).pk


def test_the_limit_is_a_setting(cohort, settings):
    settings.ZOOMGROUPS_MAX_PER_COHORT = 3
    services.schedule_sessions(cohort=cohort, starts=ten_fridays()[:3], topic="Group")

    with pytest.raises(ValidationError):
        make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(weeks=20))


def test_model_clean_refuses_an_eleventh_session(cohort):
    services.schedule_sessions(cohort=cohort, starts=ten_fridays(), topic="Group")
    extra = GroupSession(cohort=cohort, starts_at=FRIDAY_NOON + dt.timedelta(weeks=30), topic="X")

    with pytest.raises(ValidationError) as info:
        extra.full_clean()

    assert "already has 10" in str(info.value)


def test_the_database_refuses_a_slot_beyond_the_ceiling(cohort):
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupSession.objects.create(cohort=cohort, slot=11, starts_at=FRIDAY_NOON, topic="X")


def test_the_database_refuses_two_sessions_in_one_slot(cohort):
    make_session(cohort)

    with pytest.raises(IntegrityError), transaction.atomic():
        GroupSession.objects.create(cohort=cohort, slot=1, starts_at=FRIDAY_NOON, topic="X")


def test_a_deleted_sessions_slot_is_reused(cohort):
    sessions = services.schedule_sessions(cohort=cohort, starts=ten_fridays(), topic="Group")
    sessions[3].delete()

    again = make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(weeks=20))

    assert again.slot == 4


def test_fridays_skip_dates_and_continue_the_series():
    starts = services.fridays(
        first=dt.date(2027, 3, 5),
        time=dt.time(12),
        count=4,
        skip=[dt.date(2027, 3, 12), dt.date(2027, 3, 26)],
    )

    assert [s.date() for s in starts] == [
        dt.date(2027, 3, 5),
        dt.date(2027, 3, 19),
        dt.date(2027, 4, 2),
        dt.date(2027, 4, 9),
    ]
    # Noon in New York on both sides of the US clock change (14 March 2027).
    assert starts[0].astimezone(dt.UTC).hour == 17
    assert starts[1].astimezone(dt.UTC).hour == 16


def test_numbered_topics(cohort):
    sessions = services.schedule_sessions(
        cohort=cohort, starts=ten_fridays()[:2], topic="Friday group", number_topics=True
    )

    assert [s.topic for s in sessions] == ["Friday group 1", "Friday group 2"]


def test_system_check_refuses_a_limit_above_the_database_ceiling(settings):
    from zoomgroups.apps import check_session_limit

    settings.ZOOMGROUPS_MAX_PER_COHORT = 12

    assert [e.id for e in check_session_limit()] == ["zoomgroups.E001"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_staff_cannot_pass_the_limit(cohort):
    """Six threads add one session each to a cohort holding eight: exactly two succeed."""
    services.schedule_sessions(cohort=cohort, starts=ten_fridays()[:8], topic="Group")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def add(week: int) -> None:
        try:
            barrier.wait(timeout=10)
            make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(weeks=20 + week))
            result = "ok"
        except ValidationError:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["ok", "ok", "refused", "refused", "refused", "refused"]
    assert GroupSession.objects.filter(cohort=cohort).count() == 10
    assert sorted(GroupSession.objects.values_list("slot", flat=True)) == list(range(1, 11))
