#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database and media directory.
#
#   scripts/restore.sh <backup dir> [target database URL]
#
# The target database (default: DATABASE_URL) is created when missing and must
# hold no tables of ours; MEDIA_ROOT (default ./media) must be empty or absent.
# Refusing a non-empty target is deliberate: a restore never merges into live data.
# Checksums are verified first; pg_restore runs in one transaction, so a failed
# restore leaves the database empty rather than half restored.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
say() { echo "[restore] $*" >&2; }
die() { echo "[restore] ERROR: $*" >&2; exit 1; }

src=${1:?usage: scripts/restore.sh <backup dir> [database url]}
url=${2:-${DATABASE_URL:-$(cat "$ROOT/.state/database_url" 2>/dev/null || true)}}
[ -n "$url" ] || die "give a database URL or set DATABASE_URL"
url=$(echo "$url" | sed -E 's#^(postgis|postgres|pgsql)://#postgresql://#')
media=${MEDIA_ROOT:-$ROOT/media}
db=$(echo "$url" | sed -E 's#^[^/]*//[^/]*/([^?]*).*#\1#')
admin=$(echo "$url" | sed -E 's#^([^/]*//[^/]*)/[^?]*#\1/postgres#')

(cd "$src" && sha256sum --quiet -c SHA256SUMS) || die "checksums do not match: $src is damaged"

if [ "$(psql "$admin" -qAtc "select 1 from pg_database where datname='$db'")" != 1 ]; then
  psql "$admin" -qc "create database \"$db\"" && say "created database $db"
fi
tables=$(psql "$url" -qAtc "select count(*) from pg_tables where schemaname='public' and tablename <> 'spatial_ref_sys'")
[ "$tables" = 0 ] || die "database $db is not empty ($tables tables); restore into an empty database"
if [ -d "$media" ] && [ -n "$(ls -A "$media")" ]; then
  die "media directory $media is not empty"
fi

# The dump creates the postgis extension itself; drop an empty one made by createdb templates.
psql "$url" -qc "drop extension if exists postgis" >/dev/null 2>&1 || true
pg_restore --no-owner --no-privileges --single-transaction --exit-on-error -d "$url" "$src/db.dump"
say "database restored into $db"
mkdir -p "$media"
tar -C "$media" -xzf "$src/media.tar.gz" --no-same-owner
say "media restored into $media"
# The tile cache (Redis or files) and nginx's edge mirror hold tiles of the
# database that was there before: purge them and advance the cache epoch
# (tiles.cache), so nothing built from the old data is served. Best effort when
# the application is not installed next to this script.
if [ -x "${KR_PYTHON:-.venv/bin/python}" ] && [ -f manage.py ]; then
  if DATABASE_URL="$url" "${KR_PYTHON:-.venv/bin/python}" manage.py tiles_cache purge; then
    say "tile cache purged"
  else
    say "WARNING: tile cache not purged: run 'manage.py tiles_cache purge' against the restored database"
  fi
fi
