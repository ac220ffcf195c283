#!/usr/bin/env bash
# Back up the database (pg_dump custom format) and the media files (tarball).
#
#   scripts/backup.sh                 -> $BACKUP_DIR/<UTC stamp>/{db.dump,media.tar.gz,SHA256SUMS}
#
# DATABASE_URL (or .state/database_url), MEDIA_ROOT (default ./media),
# BACKUP_DIR (default ./.state/backups), BACKUP_KEEP (how many to keep, default 7).
# The backup is written under a temporary name and renamed when complete, so
# an interrupted run never leaves something that looks like a backup.
# Restore with scripts/restore.sh (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
say() { echo "[backup] $*" >&2; }

url=${DATABASE_URL:-$(cat "$ROOT/.state/database_url" 2>/dev/null || true)}
[ -n "$url" ] || { say "ERROR: set DATABASE_URL"; exit 1; }
url=$(echo "$url" | sed -E 's#^(postgis|postgres|pgsql)://#postgresql://#')
media=${MEDIA_ROOT:-$ROOT/media}
dest=${BACKUP_DIR:-$ROOT/.state/backups}
keep=${BACKUP_KEEP:-7}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"
work=$(mktemp -d "$dest/.partial-$stamp-XXXX")
trap 'rm -rf "$work"' EXIT

# One consistent snapshot of every table (pg_dump runs in one repeatable-read
# transaction), compressed, restorable in parallel with pg_restore -j.
pg_dump -Fc -Z 6 --no-owner --no-privileges -f "$work/db.dump" "$url"
say "database dumped ($(du -h "$work/db.dump" | cut -f1))"
if [ -d "$media" ]; then
  tar -C "$media" -czf "$work/media.tar.gz" .
else
  tar -czf "$work/media.tar.gz" -T /dev/null
fi
say "media archived ($(du -h "$work/media.tar.gz" | cut -f1))"
(cd "$work" && sha256sum db.dump media.tar.gz > SHA256SUMS)
mv "$work" "$dest/$stamp"
trap - EXIT
say "backup complete: $dest/$stamp"

# Keep the newest $keep backups.
ls -1d "$dest"/[0-9]*Z 2>/dev/null | sort | head -n -"$keep" | while read -r old; do
  rm -rf "$old" && say "removed old backup $old"
done
echo "$dest/$stamp"
