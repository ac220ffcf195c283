"""The submission throttle counts accepted submissions only: not the 503s of an
outage, not a refused body, not the replay of a stored UUID (issue 17)."""
import uuid

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from reports.services import categories_seed


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_per_hour(monkeypatch, kubu_raya):
    categories_seed()
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "report_submit", "2/hour")
    cache.clear()
    yield
    cache.clear()


POINT = {"lon": 109.3724, "lat": -0.0715}  # inside desa Sungai Raya


def _post(client, report_id, category="flood", *, lean=True):
    # One phone: its device secret lets a replay get its original (issue 16).
    body = {"id": str(report_id), "category": category, "device_secret": "s" * 43, **POINT}
    if lean:  # the lean path (common.lean)
        return client.post("/api/v1/reports/", body, content_type="application/json")
    return client.post("/api/v1/reports/", body)  # multipart: through DRF


@pytest.mark.parametrize("lean", [True, False])
def test_outage_answers_refusals_and_replays_do_not_use_up_the_quota(two_per_hour, lean):
    client = Client(REMOTE_ADDR="203.0.113.20")
    db = settings.DATABASES["default"]
    # The database cannot answer the submission: another session holds the table,
    # and this process gives up after 300 ms (503 query_timeout, as when PostgreSQL is away).
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as other:
        other.execute("BEGIN; LOCK TABLE reports_report IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 300")
        try:
            statuses = [_post(client, uuid.uuid4(), lean=lean).status_code for _ in range(4)]
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")
        other.execute("ROLLBACK")
    assert statuses == [503] * 4

    first = uuid.uuid4()
    assert _post(client, first, lean=lean).status_code == 201
    assert [_post(client, first, lean=lean).status_code for _ in range(3)] == [200] * 3  # replays
    assert _post(client, uuid.uuid4(), category="ufo", lean=lean).status_code == 400
    assert _post(client, uuid.uuid4(), lean=lean).status_code == 201
    refused = _post(client, uuid.uuid4(), lean=lean)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert _post(client, first, lean=lean).status_code in (200, 429)  # over quota: DRF refuses before the view
