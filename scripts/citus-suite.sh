#!/usr/bin/env bash
# The core of the test suite against a Citus cluster (issue 23), for .ci/run.
#
# A coordinator + 2 private workers (scripts/citus.sh; the Citus build is cached in
# ~/.cache/kr-citus, nothing is built when the extension is installed) hold the test
# database itself: it is created on every node with citus + postgis and the workers
# registered. Django's migrations run on it, then `manage.py citus_distribute` (ops.citus:
# the reports' tables distributed by regency_code, the shared ones reference tables),
# and pytest reuses that database (--reuse-db). Then: geo lookup, submission and
# routing, workflow, nearby, regencies, the router-plan tests (EXPLAIN: one task),
# tiles, OGC items and counts, privacy.
#
#   scripts/citus-suite.sh [pytest args...]     (default: the core list below)
#
# Own ports (KR_CITUS_SUITE_PORT, default 54360..54362) and state folder, fsync off,
# KR_CITUS_SHARDS shards (8: fewer shards, faster DDL in tests; production keeps 32);
# the clusters are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${KR_CITUS_SUITE_PORT:-54360}
NAME=kr_citus_suite
export KR_CITUS_STATE="$PWD/.state/citus-suite-$PORT" KR_CITUS_PORT=$PORT KR_CITUS_DB=test_$NAME
export KR_CITUS_PGOPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
CORE=(tests/reports/test_citus_routing.py tests/geo tests/reports/test_submission.py tests/reports/test_routing.py tests/reports/test_workflow.py
      tests/reports/test_duplicates_nearby.py tests/reports/test_regencies.py tests/reports/test_tracking_prefix.py tests/reports/test_access.py
      tests/tiles/test_vector.py tests/tiles/test_report_cells.py tests/layers/test_ogc.py
      tests/layers/test_privacy.py tests/privacy)
# Not on Citus: two tests that assert the generic plans of the prepared lookup (Citus
# sessions use custom plans, KR_CITUS; docs/scaling.md).
DESELECT=(--deselect tests/geo/test_lookup.py::test_lookup_statement_is_prepared_once_and_its_plan_reused
          --deselect tests/geo/test_lookup.py::test_prepared_lookups_plan_generically_and_the_bulk_assignment_for_its_points)
[ $# -gt 0 ] && CORE=("$@") && DESELECT=()

bash scripts/citus.sh start >/dev/null
trap 'bash scripts/citus.sh stop' EXIT
# pytest-django names the test database test_<NAME>: the one just prepared on every node.
TEST_URL="postgis://postgres@127.0.0.1:$PORT/test_$NAME"
# KR_CITUS: custom plans (Citus routes a statement by its parameters' values) and row
# locks that name the row's regency (config/settings/base.py, common.regency.routed).
export KR_CITUS=1
DATABASE_URL=$TEST_URL .venv/bin/python manage.py migrate --noinput -v 0
DATABASE_URL=$TEST_URL .venv/bin/python manage.py citus_distribute --shard-count "${KR_CITUS_SHARDS:-8}"
DATABASE_URL="postgis://postgres@127.0.0.1:$PORT/$NAME" \
  .venv/bin/pytest --reuse-db -q -p no:cacheprovider "${DESELECT[@]}" "${CORE[@]}"
