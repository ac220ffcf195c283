#!/usr/bin/env bash
# Citus on this machine: build the extension from the vendored source when it is
# missing, and run a coordinator and workers as PRIVATE PostgreSQL clusters under
# .state/citus (never the shared server on 5432).
#
#   scripts/citus.sh build          build + install Citus unless already installed
#   scripts/citus.sh start          build if needed, start coordinator + 2 workers,
#                                   create the database with postgis + citus, register
#                                   the workers; prints the coordinator's URL
#   scripts/citus.sh add-worker N   start worker N (3, 4, ...) and register it
#   scripts/citus.sh stop           stop every cluster under the state folder
#   scripts/citus.sh status | url
#
# Everything is idempotent: a second `start` finds the clusters running and the
# nodes registered and changes nothing.
#
# The build (about 10 minutes on one core) is cached in $KR_CITUS_CACHE (default
# ~/.cache/kr-citus): a later run on a fresh server only runs `make install` from it.
# The tarball's sha256 is checked; the PostgreSQL 15.20 build fix is the patch in
# deploy/citus/ (see ../shared/vendor/README.md).
#
# Overridable: KR_CITUS_STATE (.state/citus), KR_CITUS_PORT (coordinator port, 54340;
# worker N listens on KR_CITUS_PORT+N), KR_CITUS_DB (kr_citus), KR_CITUS_WORKERS (2),
# KR_CITUS_TARBALL (../shared/vendor/citus-13.2.2.tar.gz), KR_CITUS_PGOPTS (extra
# server options, e.g. "-c fsync=off" for throw-away test clusters).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PG_MAJOR=15
BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
VERSION=13.2.2
SHA256=dd2453caec20a830e5e63f1def5c5a98cb6f57ae510407cdcd800916fcdab430
TARBALL=${KR_CITUS_TARBALL:-$ROOT/../shared/vendor/citus-$VERSION.tar.gz}
CACHE=${KR_CITUS_CACHE:-${HOME:-/root}/.cache/kr-citus}
STATE=${KR_CITUS_STATE:-$ROOT/.state/citus}
PORT=${KR_CITUS_PORT:-54340}
DB=${KR_CITUS_DB:-kr_citus}
WORKERS=${KR_CITUS_WORKERS:-2}
PGOPTS=${KR_CITUS_PGOPTS:-}
PATCHES=("$ROOT"/deploy/citus/*.patch)

say() { echo "[citus] $*" >&2; }
die() { echo "[citus] ERROR: $*" >&2; exit 1; }

apt_updated=0
apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*; install them as root (apt-get install $*)"
  if [ $apt_updated = 0 ]; then apt-get update -qq; apt_updated=1; fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pkglibdir() { "$BINDIR/../bin/pg_config" --pkglibdir 2>/dev/null || echo "/usr/lib/postgresql/$PG_MAJOR/lib"; }
installed() {
  [ -f "/usr/lib/postgresql/$PG_MAJOR/lib/citus.so" ] && [ -f "/usr/share/postgresql/$PG_MAJOR/extension/citus.control" ]
}

build() {
  if installed; then
    say "Citus is installed ($(sed -n "s/^default_version = '\(.*\)'/\1/p" /usr/share/postgresql/$PG_MAJOR/extension/citus.control)); no build"
    return 0
  fi
  local src="$CACHE/citus-$VERSION-pg$PG_MAJOR" missing=() p
  [ -x "$BINDIR/initdb" ] || missing+=("postgresql-$PG_MAJOR")
  [ -f "/usr/share/postgresql/$PG_MAJOR/extension/postgis.control" ] || missing+=("postgresql-$PG_MAJOR-postgis-3")
  for p in postgresql-server-dev-$PG_MAJOR liblz4-dev libzstd-dev libkrb5-dev libssl-dev gcc make patch; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] || apt_install "${missing[@]}"
  if [ ! -f "$src/.built" ]; then
    [ -f "$TARBALL" ] || die "no Citus source at $TARBALL"
    echo "$SHA256  $TARBALL" | sha256sum -c --quiet - || die "checksum mismatch for $TARBALL"
    rm -rf "$src"; mkdir -p "$src"
    tar xzf "$TARBALL" -C "$src" --strip-components=1
    for p in "${PATCHES[@]}"; do
      [ -f "$p" ] || continue
      patch -d "$src" -p1 -s < "$p"; say "applied $(basename "$p")"
    done
    # with_llvm=no: no LLVM bitcode for JIT inlining (PostgreSQL's pgxs would compile
    # every file a second time with clang; the JIT does not need Citus' bitcode).
    say "building Citus $VERSION in $src (about 10 minutes on one core; log in $src/build.log)"
    (cd "$src" && ./configure --without-libcurl PG_CONFIG="$BINDIR/pg_config" >build.log 2>&1 \
      && make -j"$(nproc)" with_llvm=no >>build.log 2>&1) || { tail -20 "$src/build.log" >&2; die "build failed"; }
    touch "$src/.built"
  else
    say "using the cached build in $src"
  fi
  [ "$(id -u)" = 0 ] || die "need root to install Citus into /usr/lib/postgresql/$PG_MAJOR (run: make -C $src install)"
  make -C "$src" install with_llvm=no >"$src/install.log" 2>&1 || { tail -20 "$src/install.log" >&2; die "install failed"; }
  installed || die "install finished but citus.so/citus.control are missing"
  say "installed Citus $VERSION"
}

RUN=()
[ "$(id -u)" = 0 ] && RUN=(runuser -u postgres --)

node_dir() { if [ "$1" = 0 ]; then echo "$STATE/coordinator"; else echo "$STATE/worker$1"; fi; }
node_port() { echo $((PORT + $1)); }
psql_node() { local n=$1 db=$2; shift 2; psql "postgresql://postgres@127.0.0.1:$(node_port "$n")/$db" -v ON_ERROR_STOP=1 -qAtX "$@"; }

start_node() {
  local n=$1 dir port
  dir=$(node_dir "$n"); port=$(node_port "$n")
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$STATE" "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${RUN[@]}" "$BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    cat >> "$dir/data/postgresql.conf" <<EOF
# scripts/citus.sh
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
wal_level = logical
max_connections = 200
max_wal_senders = 10
max_replication_slots = 10
EOF
    say "initialised $(basename "$dir") in $dir/data"
  fi
  if "${RUN[@]}" "$BINDIR/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    say "$(basename "$dir") already running on 127.0.0.1:$port"
  else
    "${RUN[@]}" "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$PGOPTS" start >/dev/null \
      || { tail -20 "$dir/postgres.log" >&2; die "$(basename "$dir") did not start"; }
    say "started $(basename "$dir") on 127.0.0.1:$port"
  fi
  if [ "$(psql_node "$n" postgres -c "select 1 from pg_database where datname='$DB'")" != 1 ]; then
    psql_node "$n" postgres -c "create database \"$DB\"" >/dev/null
  fi
  # Once a worker is registered, extensions are propagated by the coordinator
  # (and DDL on a worker is refused): create them only where they are missing.
  local ext
  for ext in citus postgis; do
    if [ "$(psql_node "$n" "$DB" -c "select count(*) from pg_extension where extname='$ext'")" = 0 ]; then
      psql_node "$n" "$DB" -c "create extension $ext" >/dev/null
    fi
  done
}

register_worker() {
  local n=$1 port
  port=$(node_port "$n")
  if [ "$(psql_node 0 "$DB" -c "select count(*) from pg_dist_node where nodeport=$port and noderole='primary'")" = 0 ]; then
    psql_node 0 "$DB" -c "select citus_add_node('127.0.0.1', $port)" >/dev/null
    say "registered worker$n (port $port) with the coordinator"
  fi
}

url() { echo "postgis://postgres@127.0.0.1:$(node_port 0)/$DB"; }

start() {
  build
  mkdir -p "$STATE"
  local n
  start_node 0
  if [ "$(psql_node 0 "$DB" -c "select count(*) from pg_dist_node where groupid=0")" = 0 ]; then
    psql_node 0 "$DB" -c "select citus_set_coordinator_host('127.0.0.1', $(node_port 0))" >/dev/null
  fi
  for n in $(seq 1 "$WORKERS"); do start_node "$n"; register_worker "$n"; done
  url > "$STATE/database_url"
  say "coordinator $(url) with $(psql_node 0 "$DB" -c "select count(*) from pg_dist_node where groupid>0") worker(s); URL in $STATE/database_url"
  url
}

add_worker() {
  local n=${1:?worker number}
  start_node "$n"; register_worker "$n"
}

stop() {
  local d
  for d in "$STATE"/worker* "$STATE"/coordinator; do
    [ -f "$d/data/PG_VERSION" ] || continue
    if "${RUN[@]}" "$BINDIR/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then
      "${RUN[@]}" "$BINDIR/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null
      say "stopped $(basename "$d")"
    fi
  done
}

status() {
  local d
  for d in "$STATE"/coordinator "$STATE"/worker*; do
    [ -f "$d/data/PG_VERSION" ] || continue
    if "${RUN[@]}" "$BINDIR/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then echo "$(basename "$d") running"; else echo "$(basename "$d") stopped"; fi
  done
}

case "${1:-start}" in
  build) build ;;
  start) start ;;
  add-worker) add_worker "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  url) url ;;
  *) die "usage: $0 build|start|add-worker N|stop|status|url" ;;
esac
