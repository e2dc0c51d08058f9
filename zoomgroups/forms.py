"""Staff forms of the admin: a series of Friday sessions, and a session's attendance."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Set as AbstractSet

from django import forms
from django.conf import settings

from courses.models import Cohort
from zoomgroups.models import GroupSession, max_per_cohort


class SeriesForm(forms.Form):
    """“Every Friday from date X at time T, N sessions, skipping these dates.”"""

    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.select_related("course"), label="Trimester run"
    )
    first_date = forms.DateField(
        label="First Friday", widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        initial=dt.time(12, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=f"In the program's time zone ({settings.PROGRAM_TIME_ZONE}).",
    )
    count = forms.IntegerField(
        label="Number of sessions",
        min_value=1,
        initial=10,
        help_text="Skipped dates do not count: the series continues on the next Friday.",
    )
    skip_dates = forms.CharField(
        label="Fridays to skip",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Dates as YYYY-MM-DD, separated by commas, spaces or new lines.",
    )
    topic = forms.CharField(max_length=190, initial="Friday group")
    number_topics = forms.BooleanField(
        label="Number the topics (“Friday group 1”, “Friday group 2”, …)",
        required=False,
        initial=True,
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", initial=75, min_value=15, max_value=GroupSession.MAX_MINUTES
    )
    join_url = forms.URLField(
        label="Zoom join link", required=False, max_length=500, assume_scheme="https"
    )
    passcode = forms.CharField(max_length=50, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["count"].widget.attrs["max"] = max_per_cohort()

    def clean_first_date(self) -> dt.date:
        first = self.cleaned_data["first_date"]
        if first.weekday() != 4:
            raise forms.ValidationError(f"{first:%Y-%m-%d} is a {first:%A}; choose a Friday.")
        return first

    def clean_count(self) -> int:
        count = self.cleaned_data["count"]
        if count > max_per_cohort():
            raise forms.ValidationError(
                f"A trimester run has at most {max_per_cohort()} Friday groups."
            )
        return count

    def clean_skip_dates(self) -> list[dt.date]:
        dates = []
        for token in re.split(r"[\s,;]+", self.cleaned_data["skip_dates"].strip()):
            if not token:
                continue
            try:
                dates.append(dt.date.fromisoformat(token))
            except ValueError:
                raise forms.ValidationError(f"“{token}” is not a date like 2027-04-02.") from None
        return dates


class AttendanceForm(forms.Form):
    """The checklist: one box per enrolled learner of the session's cohort."""

    attended = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Attended"
    )

    def __init__(
        self,
        *args,
        learners,
        rsvps: dict[int, str],
        from_zoom: AbstractSet[int] = frozenset(),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = {"attending": " — said attending", "declined": " — said can't make it"}
        field = self.fields["attended"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (
                str(u.pk),
                f"{u.get_full_name()} <{u.email}>{labels.get(rsvps.get(u.pk, ''), '')}"
                + (" — joined on Zoom" if u.pk in from_zoom else ""),
            )
            for u in learners
        ]

    def clean_attended(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["attended"]]
