#!/usr/bin/env bash
# Fuzz the whole OpenAPI (schemathesis) against gunicorn on loopback; fail on any 5xx.
#
#   make fuzz                 (FUZZ_MAX_EXAMPLES=25 FUZZ_MAX_TIME=90 by default)
#
# Runs against its own database (<name>_fuzz: migrated, real boundaries, demo
# users) so generated writes never land in the demo data; once anonymously and
# once as a user holding every role, so authorised code paths are fuzzed too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
say() { echo "[fuzz] $*" >&2; }

base_url=${DATABASE_URL:-$(cat "$ROOT/.state/database_url")}
fuzz_db="$(echo "$base_url" | sed -E 's#^.*/([^/?]*).*$#\1#')_fuzz"
export DATABASE_URL=$(echo "$base_url" | sed -E "s#/[^/?]*(\?.*)?\$#/$fuzz_db#")
export DJANGO_SETTINGS_MODULE=config.settings.test LOG_LEVEL=ERROR
bash scripts/db.sh >/dev/null 2>&1
$PY manage.py migrate --noinput -v 0
$PY manage.py geo_load_kubu_raya --commit >/dev/null
token=$($PY manage.py ops_fuzz_user)

# Start gunicorn on a free port; make sure the listener is ours (another
# engineer's fuzz run on the same machine may grab a port at the same moment).
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null || true' EXIT
for attempt in 1 2 3; do
  port=$($PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
  $PY -m gunicorn config.wsgi -b 127.0.0.1:$port -w 2 --timeout 60 --log-level warning &
  server=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  if ss -Hltnp "sport = :$port" | grep -q "pid=$server,"; then break; fi
  say "port $port is not ours; retrying"
  kill $server 2>/dev/null || true
  server=
done
[ -n "$server" ] || { say "could not start gunicorn"; exit 1; }

# The coverage phase is off by default: under schemathesis 4.32 on Python 3.11 it
# crashed inside hypothesis (SystemError: AST constructor recursion depth
# mismatch, a tool fault, not an API one). FUZZ_PHASES=... brings it back.
run() {
  "$ROOT/.venv/bin/schemathesis" run "http://127.0.0.1:$port/api/schema/" \
    --checks not_a_server_error --max-examples "${FUZZ_MAX_EXAMPLES:-25}" --max-time "${FUZZ_MAX_TIME:-90}" \
    --seed "${FUZZ_SEED:-20261127}" --workers 2 --request-timeout 20 --warnings off --no-shrink \
    --phases "${FUZZ_PHASES:-examples,fuzzing,stateful}" "$@"
}
say "anonymous"
run
say "as a user holding every role"
run -H "Authorization: Token $token"
say "no server errors"
