#!/usr/bin/env bash
# Find or make a PostGIS database for this project and write its URL to
# .state/database_url (read by config/settings/base.py when DATABASE_URL is unset).
#
# Order, as documented in docs/operations.md:
#   1. DATABASE_URL from the environment, if set;
#   2. a PostgreSQL server answering on 127.0.0.1:5432 (trust or .pgpass auth);
#   3. otherwise a private cluster under .state/pgdata on port 54329, installing
#      PostgreSQL 15 from Debian packages first when root and missing.
# Overridable (tests use them): KR_LOCAL_PG_PORT (the probed port, 5432),
# KR_STATE_DIR (the state folder, .state), KR_PRIVATE_PG_PORT (54329),
# KR_DB_NAME (kubu_raya).
# In every case the PostGIS package is installed when the server lacks it and the
# postgis extension is created. Idempotent; it says what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=${KR_STATE_DIR:-$ROOT/.state}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
LOCAL_PORT=${KR_LOCAL_PG_PORT:-5432}
DB_NAME=${KR_DB_NAME:-kubu_raya}
PRIVATE_PORT=${KR_PRIVATE_PG_PORT:-54329}
PG_MAJOR=15

say() { echo "[db] $*" >&2; }
die() { echo "[db] ERROR: $*" >&2; exit 1; }

apt_updated=0
apt_install() {
  [ "$(id -u)" = 0 ] || die "need root to install $*; install them or set DATABASE_URL"
  if [ $apt_updated = 0 ]; then apt-get update -qq; apt_updated=1; fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# psql wants postgresql://; Django's URL may say postgis://
libpq_url() { echo "$1" | sed -E 's#^(postgis|postgresql|postgres|pgsql)://#postgresql://#'; }
db_in_url() { echo "$1" | sed -E 's#^([^/]*//[^/]*)/([^?]*).*#\2#'; }
with_db() { echo "$1" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\1/$2#"; }

ensure_postgis() {
  local url="$1" conn admin db major
  conn=$(libpq_url "$url")
  db=$(db_in_url "$url")
  admin=$(with_db "$conn" postgres)
  psql "$admin" -qAtc "select 1" >/dev/null 2>&1 || die "cannot connect to $(with_db "$url" postgres)"
  if [ "$(psql "$admin" -qAtc "select 1 from pg_database where datname='$db'")" != 1 ]; then
    psql "$admin" -qc "create database \"$db\"" >/dev/null
    say "created database $db"
  else
    say "database $db exists"
  fi
  if [ "$(psql "$admin" -qAtc "select 1 from pg_available_extensions where name='postgis'")" != 1 ]; then
    major=$(psql "$admin" -qAtc "select current_setting('server_version_num')::int / 10000")
    apt_install "postgresql-$major-postgis-3"
  fi
  psql "$conn" -qc "create extension if not exists postgis" >/dev/null
  say "postgis $(psql "$conn" -qAtc "select extversion from pg_extension where extname='postgis'") ready in $db"
}

private_cluster() {
  local bindir="/usr/lib/postgresql/$PG_MAJOR/bin" data="$STATE/pgdata" sock="$STATE/pgsock" run=()
  if [ ! -x "$bindir/initdb" ]; then
    apt_install "postgresql-$PG_MAJOR" "postgresql-$PG_MAJOR-postgis-3"
  fi
  [ -d "/usr/share/postgresql/$PG_MAJOR/extension" ] && ls "/usr/share/postgresql/$PG_MAJOR/extension" | grep -q '^postgis.control$' \
    || apt_install "postgresql-$PG_MAJOR-postgis-3"
  mkdir -p "$sock"
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    id postgres >/dev/null 2>&1 || die "no postgres user to own the private cluster"
    chown postgres "$STATE" "$sock"
    run=(runuser -u postgres --)
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    "${run[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
    say "initialised a private cluster in $data"
  fi
  if ! "${run[@]}" "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    "${run[@]}" "$bindir/pg_ctl" -D "$data" -l "$STATE/postgres.log" -w \
      -o "-p $PRIVATE_PORT -k $sock -c listen_addresses=127.0.0.1" start >/dev/null
    say "started the private cluster on 127.0.0.1:$PRIVATE_PORT"
  else
    say "private cluster already running on 127.0.0.1:$PRIVATE_PORT"
  fi
  echo "postgis://postgres@127.0.0.1:$PRIVATE_PORT/$DB_NAME"
}

command -v psql >/dev/null 2>&1 || [ -z "${DATABASE_URL:-}" ] || apt_install postgresql-client

if [ -n "${DATABASE_URL:-}" ]; then
  url="$DATABASE_URL"
  say "using DATABASE_URL from the environment"
elif command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p "$LOCAL_PORT"; then
  url="postgis://${PGUSER:-$(id -un)}@127.0.0.1:$LOCAL_PORT/$DB_NAME"
  say "using the PostgreSQL server on 127.0.0.1:$LOCAL_PORT"
elif [ -f "$STATE/pgdata/PG_VERSION" ] || ! (exec 3<>"/dev/tcp/127.0.0.1/$LOCAL_PORT") 2>/dev/null; then
  say "no server on 127.0.0.1:$LOCAL_PORT; using a private cluster"
  url=$(private_cluster)
else
  die "something answers on 127.0.0.1:$LOCAL_PORT but is not a usable PostgreSQL; set DATABASE_URL"
fi

ensure_postgis "$url"
if [ -n "${DATABASE_URL:-}" ]; then
  # The caller's URL is read from the environment by the settings; the state
  # file keeps naming the project's own database (fuzzing uses a scratch one).
  say "DATABASE_URL=$url (from the environment; $STATE/database_url unchanged)"
else
  echo "$url" > "$STATE/database_url"
  say "DATABASE_URL=$url (written to $STATE/database_url)"
fi

