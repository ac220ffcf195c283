"""The design rules that tools can check (issue 24), run with the suite:

- apps import in one direction only (import-linter, contract in .importlinter);
- no dead code (vulture, settings in pyproject.toml [tool.vulture], framework
  names in vulture_whitelist.py).

Both read the source only: no database, no server."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(tool: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / tool)], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_apps_import_in_one_direction():
    result = _run("lint-imports")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_no_dead_code():
    result = _run("vulture")
    assert result.returncode == 0, "dead code (remove it, or whitelist a framework name):\n" + result.stdout
