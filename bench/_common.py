"""Helpers shared by the benchmark scripts: Django set-up, a real HTTP server
on loopback, percentiles and machine facts."""
import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")


def django_setup():
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def http_server(workers: int = 2, threads: int = 4):
    """gunicorn (gthread, keep-alive) on a free loopback port; yields the base URL."""
    port = free_port()
    # One loopback client sends everything: the per-IP throttles (still
    # checked on every request) get rates it cannot reach.
    env = {"THROTTLE_ANON": "10000000/min", "THROTTLE_USER": "10000000/min", **os.environ, "DEBUG": "false"}
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--keep-alive", "30",
         "--log-level", "warning"],
        cwd=ROOT, env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def machine() -> str:
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    return f"{platform.machine()}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def summary(name: str, values_ms) -> str:
    return (f"{name}: n={len(values_ms)} p50={percentile(values_ms, 50):.2f} ms "
            f"p99={percentile(values_ms, 99):.2f} ms mean={statistics.fmean(values_ms):.2f} ms")
