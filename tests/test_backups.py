"""`make backup` and `make restore-check` (issue 27, point 3), run for real against the test
PostgreSQL: a custom-format dump with a timestamp, the media bucket's listing with
FILE_STORAGE=s3, and a restore into a scratch database that is migrated, checked, counted and
dropped."""

import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests import factories, s3server
from tests.outbox.conftest import test_database_url

s3 = s3server.s3  # the fixture: the S3 server on loopback

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ROOT = Path(__file__).resolve().parent.parent


def make(target: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "FILE_STORAGE": "",
        **env,
    }
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def databases() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture
def site(learner, course):
    factories.make_lesson(course, title="Rupture and repair")
    factories.make_lesson(course, title="The working alliance")
    return learner


@pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows
def test_a_backup_restores_into_a_scratch_database_with_every_row(site, tmp_path):
    backups = tmp_path / "backups"
    scratch = f"{connection.settings_dict['NAME']}_restore_check"

    backup = make("backup", BACKUP_DIR=str(backups))
    check = make("restore-check", BACKUP_DIR=str(backups), RESTORE_CHECK_DB=scratch)

    assert backup.returncode == 0, backup.stderr
    [dump] = backups.glob("htw-*.dump")
    assert dump.name[4:20].replace("T", "").rstrip("Z").isdigit()  # htw-20270105T030000Z.dump
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert oct(backups.stat().st_mode)[-3:] == "700"
    assert check.returncode == 0, check.stdout + check.stderr
    assert "System check identified no issues" in check.stdout + check.stderr
    counts = dict(
        line.split()[1:] for line in check.stdout.splitlines() if line.startswith("rows ")
    )
    assert counts["accounts_user"] == "1"
    assert counts["lessons_lesson"] == "2"
    assert counts["courses_enrollment"] == "1"
    assert "Restore check passed" in check.stdout
    assert scratch not in databases()


def test_restore_check_fails_without_a_dump_or_with_a_broken_one(tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    scratch = f"{connection.settings_dict['NAME']}_restore_check"

    missing = make("restore-check", BACKUP_DIR=str(backups), RESTORE_CHECK_DB=scratch)
    (backups / "htw-20270101T000000Z.dump").write_bytes(b"PGDMP not really a dump")
    broken = make("restore-check", BACKUP_DIR=str(backups), RESTORE_CHECK_DB=scratch)

    assert missing.returncode != 0 and "run make backup first" in missing.stderr
    assert broken.returncode != 0 and "Restore check passed" not in broken.stdout
    assert scratch not in databases()


def test_restore_check_never_uses_the_live_database(tmp_path):
    result = make(
        "restore-check",
        BACKUP_DIR=str(tmp_path),
        RESTORE_CHECK_DB=connection.settings_dict["NAME"],
    )

    assert result.returncode != 0
    assert connection.settings_dict["NAME"] in databases()


def test_with_a_bucket_the_backup_lists_its_objects(s3, tmp_path):
    client = s3server.client(s3.endpoint)
    client.create_bucket(Bucket="htw-backup-test")
    client.put_object(Bucket="htw-backup-test", Key="lessons/audio/one.mp3", Body=b"ID3" * 10)

    result = make(
        "backup",
        BACKUP_DIR=str(tmp_path),
        FILE_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="htw-backup-test",
        AWS_S3_ENDPOINT_URL=s3.endpoint,
        AWS_S3_REGION_NAME=s3server.REGION,
        AWS_ACCESS_KEY_ID=s3server.ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=s3server.SECRET_KEY,
    )

    assert result.returncode == 0, result.stderr
    [listing] = tmp_path.glob("htw-*.media.tsv")
    lines = listing.read_text().splitlines()
    assert lines[0] == "key\tsize\tetag\tlast_modified"
    assert lines[1].startswith("lessons/audio/one.mp3\t30\t")
    assert len(list(tmp_path.glob("htw-*.dump"))) == 1


def test_old_backups_beyond_backup_keep_are_removed(tmp_path):
    for day in ("01", "02", "03"):
        (tmp_path / f"htw-202001{day}T000000Z.dump").write_bytes(b"old")
        (tmp_path / f"htw-202001{day}T000000Z.media.tsv").write_text("old")

    result = make("backup", BACKUP_DIR=str(tmp_path), BACKUP_KEEP="2")

    assert result.returncode == 0, result.stderr
    kept = sorted(p.name for p in tmp_path.glob("htw-*.dump"))
    assert len(kept) == 2 and kept[0] == "htw-20200103T000000Z.dump"  # and the new one
    assert not (tmp_path / "htw-20200102T000000Z.media.tsv").exists()
