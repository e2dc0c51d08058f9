#!/usr/bin/env bash
# `make restore-check`: the rehearsal of a restore. Restores the newest dump in BACKUP_DIR into
# a scratch database on the server of DATABASE_URL (RESTORE_CHECK_DB, never the live one),
# migrates it with this checkout's code, runs Django's checks against it and counts the rows of
# the main tables; then drops it. Any failing step fails the whole (non-zero exit).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL server (and live database)}"
BACKUP_DIR="${BACKUP_DIR:-backups}"
scratch="${RESTORE_CHECK_DB:-htw_restore_check}"
if ! [[ "$scratch" =~ ^[a-z][a-z0-9_]*$ ]]; then
  echo "RESTORE_CHECK_DB must be a plain lower-case name" >&2
  exit 2
fi
dump="$(ls -1 "$BACKUP_DIR"/htw-*.dump 2>/dev/null | sort | tail -n 1 || true)"
if [ -z "$dump" ]; then
  echo "No dump in $BACKUP_DIR: run make backup first" >&2
  exit 1
fi

with_database() {  # DATABASE_URL with another database name (and the same user, host, options)
  .venv/bin/python -c 'import sys, urllib.parse as u
url = u.urlsplit(sys.argv[1])
print(u.urlunsplit(url._replace(path="/" + sys.argv[2])))' "$DATABASE_URL" "$1"
}
live="$(.venv/bin/python -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).path.strip("/"))' "$DATABASE_URL")"
if [ "$live" = "$scratch" ]; then
  echo "RESTORE_CHECK_DB is the live database's name" >&2
  exit 2
fi
admin_url="$(with_database postgres)"
scratch_url="$(with_database "$scratch")"
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

drop_scratch() { psql_ "$admin_url" -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" || true; }
drop_scratch
trap drop_scratch EXIT
psql_ "$admin_url" -c "CREATE DATABASE $scratch"

echo "Restoring $dump into $scratch"
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch_url" "$dump"
DATABASE_URL="$scratch_url" .venv/bin/python manage.py migrate --noinput
DATABASE_URL="$scratch_url" .venv/bin/python manage.py check --database default

echo "Rows in the restored database:"
for table in accounts_user courses_course courses_cohort courses_enrollment courses_payment \
  lessons_lesson lessons_progress qa_question qa_answer forum_topic forum_post \
  zoomgroups_groupsession newsletter_subscriber newsletter_issue; do
  printf 'rows %-26s %s\n' "$table" "$(psql_ "$scratch_url" -At -c "SELECT count(*) FROM $table")"
done
echo "Restore check passed: $dump"
