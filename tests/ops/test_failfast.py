"""Fail fast on a DATABASE_URL that cannot serve: gunicorn refuses to start
with one clear line and no secret (issue 17, 7)."""
import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.conf import settings

from .pgcluster import free_port

pytestmark = pytest.mark.slow
SECRET = "s3cret-Pw-42"


def _start(database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url,
           "DB_CONNECT_TIMEOUT": "2", "GUNICORN_WORKERS": "1", "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
           "PROMETHEUS_MULTIPROC_DIR": f"/tmp/kr-failfast-{uuid.uuid4().hex[:6]}"}
    return subprocess.run([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
                          cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def database_without_postgis():
    db = settings.DATABASES["default"]
    name = f"kr_nopostgis_{uuid.uuid4().hex[:8]}"
    admin = dict(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_wrong_port_missing_database_no_postgis_and_malformed_urls_stop_gunicorn(database_without_postgis):
    db = settings.DATABASES["default"]
    host, port, user = db["HOST"], db["PORT"], db["USER"]
    cases = {
        "wrong port": (f"postgis://{user}:{SECRET}@{host}:{free_port()}/{db['NAME']}", "cannot use the database"),
        "missing database": (f"postgis://{user}:{SECRET}@{host}:{port}/kr_missing_{uuid.uuid4().hex[:6]}",
                             "does not exist"),
        "no postgis": (f"postgis://{user}:{SECRET}@{host}:{port}/{database_without_postgis}", "no PostGIS"),
        "malformed scheme": (f"postgis//{user}:{SECRET}@{host}:{port}/x", "DATABASE_URL is malformed"),
        "malformed port": (f"postgis://{user}:{SECRET}@{host}:54x32/x", "DATABASE_URL is malformed"),
    }
    for label, (url, expected) in cases.items():
        out = _start(url)
        assert out.returncode != 0, label
        said = out.stdout + out.stderr
        assert "refusing to start" in said and expected in said, (label, said[-1500:])
        assert SECRET not in said, label
