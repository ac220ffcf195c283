"""Database faults: 503 + Retry-After while PostgreSQL is down, recovery on its own.

Real processes: a private PostgreSQL cluster (copied from the test database
with pg_dump/pg_restore) and gunicorn serving the project against it.
"""
import os
import subprocess
import sys
import uuid

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import OperationalError, connection, transaction

from ops.middleware import database_unavailable_response

from .pgcluster import PrivateCluster, libpq_url
from .servers import gunicorn

pytestmark = pytest.mark.slow
POINT = {"lon": 109.3724, "lat": -0.0715}  # inside desa Sungai Raya


@pytest.fixture
def cluster():
    c = PrivateCluster().init()
    c.start()
    yield c
    c.destroy()


def _copy_test_database_into(c: PrivateCluster) -> None:
    dump = c.dir / "copy.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq_url(settings.DATABASES["default"])],
                   check=True, capture_output=True, timeout=300)
    os.chmod(c.dir, 0o755)
    os.chmod(dump, 0o644)
    subprocess.run(["psql", c.url("postgres"), "-qc", "create database kr"], check=True, capture_output=True)
    subprocess.run(["pg_restore", "--no-owner", "-d", c.url("kr"), str(dump)], check=True,
                   capture_output=True, timeout=300)


@pytest.mark.django_db
def test_postgres_down_gives_503_with_retry_after_and_the_service_recovers(cluster, kubu_raya):
    _copy_test_database_into(cluster)
    with gunicorn(database_url=cluster.url("kr", "postgis")) as base:
        url = f"{base}/api/v1/areas/covering"
        first = requests.get(url, params=POINT, timeout=10)
        assert first.status_code == 200, first.text

        cluster.stop()
        # liveness does not depend on the database: the workers are fine
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        for path in ("/api/v1/areas/covering", "/api/v1/areas/", "/readyz"):
            down = requests.get(base + path, params=POINT, timeout=10)
            assert down.status_code == 503, (path, down.status_code, down.text[:300])
            assert down.json()["code"] == "database_unavailable"
            assert int(down.headers["Retry-After"]) > 0
            assert down.headers.get("X-Request-ID")

        cluster.start()
        # No restart of gunicorn: the first request after PostgreSQL is back is served.
        again = requests.get(url, params=POINT, timeout=10)
        assert again.status_code == 200, again.text
        assert again.json() == first.json()


@pytest.mark.django_db
def test_a_statement_timeout_is_a_503_query_timeout_not_a_500():
    with pytest.raises(OperationalError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(5)")
    response = database_unavailable_response(caught.value)
    assert response.status_code == 503
    assert b'"query_timeout"' in response.content
    assert response["Retry-After"] == str(settings.OPS_RETRY_AFTER_SECONDS)


def test_statement_timeout_setting_reaches_the_connection(tmp_path):
    """DB_STATEMENT_TIMEOUT_MS becomes a libpq option that PostgreSQL applies."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DB_STATEMENT_TIMEOUT_MS": "1234",
           "DATABASE_URL": f"postgis://{settings.DATABASES['default']['USER']}@"
                           f"{settings.DATABASES['default']['HOST']}:{settings.DATABASES['default']['PORT']}/postgres"}
    out = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.db import connection; "
                          "c = connection.cursor(); c.execute('show statement_timeout'); print(c.fetchone()[0])"],
                         cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "1234ms", out.stderr


@pytest.mark.django_db
def test_a_report_retried_with_the_same_uuid_across_an_outage_is_stored_once(cluster, kubu_raya):
    pytest.importorskip("reports.services", reason="the reports app is not on this branch yet")
    _copy_test_database_into(cluster)
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": cluster.url("kr", "postgis")}
    subprocess.run([sys.executable, "manage.py", "reports_seed_categories"], cwd=settings.BASE_DIR,
                   env={**os.environ, **env}, check=True, capture_output=True, timeout=120)
    with gunicorn(database_url=cluster.url("kr", "postgis")) as base:
        categories = requests.get(f"{base}/api/v1/categories/", timeout=10).json()
        code = next(c["code"] for c in categories if not c["photo_required"] and c["publication_class"] == "P0")
        report_id = str(uuid.uuid4())
        payload = {"id": report_id, "category": code, "description": "Jalan rusak dekat jembatan",
                   "device_secret": "rahasia-perangkat-uji", **POINT}  # the same device retries

        cluster.stop()
        down = requests.post(f"{base}/api/v1/reports/", json=payload, timeout=10)
        assert down.status_code == 503 and down.json()["code"] == "database_unavailable"
        cluster.start()

        first = requests.post(f"{base}/api/v1/reports/", json=payload, timeout=10)
        assert first.status_code == 201, first.text
        # the client lost that answer (weak network) and sends the same report again
        again = requests.post(f"{base}/api/v1/reports/", json=payload, timeout=10)
        assert again.status_code == 200, again.text
        assert again.json()["tracking_code"] == first.json()["tracking_code"]
    with psycopg.connect(cluster.url("kr")) as conn:
        assert conn.execute("SELECT count(*) FROM reports_report WHERE id = %s", (report_id,)).fetchone()[0] == 1


def test_the_wsgi_entry_point_bounds_every_query():
    env = {k: v for k, v in os.environ.items() if k != "DB_STATEMENT_TIMEOUT_MS"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    out = subprocess.run([sys.executable, "-c", "import config.wsgi; from django.db import connection; "
                          "c = connection.cursor(); c.execute('show statement_timeout'); print(c.fetchone()[0])"],
                         cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "15s", out.stderr
