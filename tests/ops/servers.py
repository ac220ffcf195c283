"""Run the project under gunicorn in a subprocess (real HTTP, real worker process)."""
import contextlib
import os
import subprocess
import sys
import time

import requests
from django.conf import settings

from .pgcluster import free_port


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def gunicorn(*, database_url: str | None = None, workers: int = 1, config: str | None = None, **env_extra):
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": database_url or test_database_url(), "DB_CONNECT_TIMEOUT": "2",
           "LOG_LEVEL": "WARNING", **env_extra}
    args = ["-c", config] if config else []
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", *args, "config.wsgi", "-b", f"127.0.0.1:{port}",
                             "-w", str(workers), "--timeout", "60"], cwd=settings.BASE_DIR, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
