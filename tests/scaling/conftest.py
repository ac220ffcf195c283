"""A Citus cluster for the scaling tests: coordinator + 2 workers, private clusters
started by scripts/citus.sh under .state/citus-test-PORT (its own ports and database,
fsync off), with the province schema (tenancy.schema) and three real regencies
loaded. Run on their own with `pytest -m citus tests/scaling`.

Skipped, with the reason, only when Citus is not installed and cannot be built
here (no root for the build dependencies, or no vendored source).
"""
import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from tenancy import load, schema

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("KR_CITUS_TEST_PORT", "54350"))  # another port: another cluster (parallel runs)
STATE = ROOT / ".state" / f"citus-test-{PORT}"
DB = "test_prov"
SHARDS = 8
REGENCIES = ["61.12", "61.71", "61.72"]


def citus_env() -> dict:
    return {**os.environ, "KR_CITUS_STATE": str(STATE), "KR_CITUS_PORT": str(PORT), "KR_CITUS_DB": DB,
            "KR_CITUS_PGOPTS": "-c fsync=off -c synchronous_commit=off"}


def citus_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "citus.sh"), *args], env=citus_env(),
                          capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="session")
def citus_url():
    started = citus_script("start")
    if started.returncode != 0:
        installed = Path("/usr/share/postgresql/15/extension/citus.control").exists()
        if not installed and ("need root" in started.stderr or "no Citus source" in started.stderr
                              or "missing" in started.stderr):
            pytest.skip(f"Citus cannot be built here: {started.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"scripts/citus.sh start failed:\n{started.stderr}")
    url = f"postgresql://postgres@127.0.0.1:{PORT}/{DB}"
    with psycopg.connect(url) as conn:
        schema.create(conn, shard_count=SHARDS)
        load.load_regencies(conn, codes=REGENCIES)
    yield url
    citus_script("stop")


@pytest.fixture
def citus(citus_url):
    with psycopg.connect(citus_url) as conn:
        yield conn
