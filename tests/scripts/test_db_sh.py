"""scripts/db.sh on the path without a server on the probed port: it must
initialise and start a private cluster, create the database with PostGIS, say
what it did, and change nothing on a second run."""
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINDIR = Path("/usr/lib/postgresql/15/bin")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (BINDIR / "initdb").exists(), reason="PostgreSQL 15 binaries not installed")]


def _free_port() -> int:
    """A port nothing listens on (bound then released, so closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _db_sh(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "db.sh")], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def state_dir():
    # Not under pytest's tmp_path: as root the cluster runs as postgres, which
    # must reach the folder (tmp_path's parents are private to root).
    path = Path(tempfile.mkdtemp(prefix="kr-dbsh-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if (path / "pgdata" / "PG_VERSION").exists():
        subprocess.run([*run_as, str(BINDIR / "pg_ctl"), "-D", str(path / "pgdata"), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120)
    shutil.rmtree(path, ignore_errors=True)


def test_db_sh_starts_a_private_cluster_when_nothing_answers_and_is_idempotent(state_dir):
    probe, private = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(KR_LOCAL_PG_PORT=str(probe), KR_STATE_DIR=str(state_dir), KR_PRIVATE_PG_PORT=str(private),
               KR_DB_NAME="kr_dbsh_test")

    first = _db_sh(env)
    assert first.returncode == 0, first.stderr
    said = first.stderr
    assert f"no server on 127.0.0.1:{probe}; using a private cluster" in said
    assert f"initialised a private cluster in {state_dir}/pgdata" in said
    assert f"started the private cluster on 127.0.0.1:{private}" in said
    assert "created database kr_dbsh_test" in said
    assert "ready in kr_dbsh_test" in said
    url = f"postgis://postgres@127.0.0.1:{private}/kr_dbsh_test"
    assert (state_dir / "database_url").read_text().strip() == url
    # The project's own state folder is not touched.
    assert f"written to {state_dir}/database_url" in said

    version = subprocess.run(
        ["psql", f"postgresql://postgres@127.0.0.1:{private}/kr_dbsh_test", "-qAtc", "SELECT postgis_lib_version()"],
        capture_output=True, text=True, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip().startswith("3.")

    pid_before = (state_dir / "pgdata" / "postmaster.pid").read_text().split("\n")[0]
    second = _db_sh(env)
    assert second.returncode == 0, second.stderr
    assert f"private cluster already running on 127.0.0.1:{private}" in second.stderr
    assert "database kr_dbsh_test exists" in second.stderr
    assert "initialised" not in second.stderr and "created database" not in second.stderr
    assert (state_dir / "pgdata" / "postmaster.pid").read_text().split("\n")[0] == pid_before
    assert (state_dir / "database_url").read_text().strip() == url
