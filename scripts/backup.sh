#!/usr/bin/env bash
# `make backup`: a custom-format pg_dump of DATABASE_URL into BACKUP_DIR, named by the UTC time,
# and with FILE_STORAGE=s3 the media bucket's listing beside it (key, size, ETag, modified).
# Keeps the newest BACKUP_KEEP dumps (0 keeps all). Copy the folder off this machine after it
# runs: README, "Backups".
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "make backup needs PostgreSQL; DATABASE_URL is not a postgres:// URL" >&2; exit 2 ;;
esac
BACKUP_DIR="${BACKUP_DIR:-backups}"
BACKUP_KEEP="${BACKUP_KEEP:-30}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$BACKUP_DIR"
chmod 700 "$BACKUP_DIR"  # the dump holds every private question and answer

dump="$BACKUP_DIR/htw-$stamp.dump"
# Written under a temporary name, so a dump cut short is never taken for the newest one.
pg_dump --format=custom --no-owner --no-privileges --file="$dump.partial" --dbname="$DATABASE_URL"
mv "$dump.partial" "$dump"
echo "Database: $dump ($(du -h "$dump" | cut -f1))"

case "${FILE_STORAGE:-}" in
  s3 | storages.backends.s3.S3Storage)
    listing="$BACKUP_DIR/htw-$stamp.media.tsv"
    .venv/bin/python scripts/media_listing.py >"$listing.partial"
    mv "$listing.partial" "$listing"
    echo "Media listing: $listing ($(($(wc -l <"$listing") - 1)) objects)"
    ;;
esac

if [ "$BACKUP_KEEP" -gt 0 ]; then
  ls -1 "$BACKUP_DIR"/htw-*.dump | sort -r | tail -n +"$((BACKUP_KEEP + 1))" | while read -r old; do
    rm -f "$old" "${old%.dump}.media.tsv"
    echo "Removed the old backup $old"
  done
fi
