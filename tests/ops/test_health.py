"""Truthful health: liveness without the database, readiness that checks what it names."""
import datetime
import time

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.outbox.models import OutboxMessage
from config import health
from ops import tasks
from ops.apis import queue_depth
from ops.models import WorkerHeartbeat

from .redisserver import PrivateRedis
from .test_jobs import broker
from .tmpfs import fill, small_tmpfs


def test_liveness_asks_no_database(client):
    response = client.get("/healthz")  # no django_db mark: any query would raise
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readiness_answers_503_quickly_and_without_libpq_text_when_the_database_is_locked(client):
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as other:
        other.execute("BEGIN; LOCK TABLE django_migrations IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        ready = client.get("/readyz")
        took = time.monotonic() - started
        live = client.get("/healthz")
        other.execute("ROLLBACK")
    assert ready.status_code == 503 and ready["Retry-After"]
    assert ready.json()["code"] == "database_unavailable"
    text = ready.content.decode().lower()
    assert "lock" not in text and "statement" not in text and "timeout" not in text and "psycopg" not in text
    assert took < 8
    assert live.status_code == 200


@pytest.mark.django_db
def test_readiness_reports_inline_jobs_and_media(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["jobs"]["mode"] == "inline" and body["checks"]["jobs"]["status"] == "ok"
    assert body["checks"]["media"]["status"] == "ok" and body["checks"]["media"]["free_bytes"] > 0
    assert body["checks"]["database"]["postgis"]


@pytest.mark.django_db
def test_an_old_undelivered_outbox_message_makes_the_jobs_check_fail():
    now = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.timezone.utc)
    OutboxMessage.objects.create(kind="tests.none", key="old", payload={}, created_at=now - datetime.timedelta(
        seconds=settings.OPS_READY_OUTBOX_MAX_AGE + 60), due_at=now)
    check = health.jobs_check(now=now)
    assert check["status"] == "error" and "outbox_stale" in check["problems"]
    assert check["outbox_pending"] == 1 and check["outbox_oldest_age_s"] == settings.OPS_READY_OUTBOX_MAX_AGE + 60


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_broker_queue_and_worker_heartbeat_are_checked_on_a_real_redis():
    server = PrivateRedis().start()
    try:
        with broker(server.url):
            # an empty queue is an empty queue, not "broker unreachable"
            assert queue_depth() == 0
            check = health.jobs_check()
            assert check["queue_depth"] == 0 and "broker_unreachable" not in check.get("problems", [])
            assert check["status"] == "error" and check["problems"] == ["worker_stale"]  # no worker ever ran
            tasks.heartbeat.apply()  # a worker ran beat's heartbeat
            assert health.jobs_check()["status"] == "ok"
            for n in range(3):  # no worker consumes these
                tasks.ping.apply_async(args=(f"q{n}",))
            assert queue_depth() == 3 and health.jobs_check()["queue_depth"] == 3
            WorkerHeartbeat.objects.filter(name="celery").update(
                seen_at=timezone.now() - datetime.timedelta(seconds=settings.OPS_READY_HEARTBEAT_MAX_AGE + 5))
            assert health.jobs_check()["problems"] == ["worker_stale"]  # the worker died
            server.kill()
            assert "broker_unreachable" in health.jobs_check()["problems"]
    finally:
        server.close()


@pytest.mark.django_db
def test_a_full_media_disk_is_reported(client, settings):
    with small_tmpfs("1m") as media:
        settings.MEDIA_ROOT = media
        settings.OPS_READY_MEDIA_MIN_FREE_BYTES = 512 * 1024
        assert client.get("/readyz").json()["checks"]["media"]["status"] == "ok"
        fill(media)
        body = client.get("/readyz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["media"]["status"] == "error"
    assert body["checks"]["media"]["problems"] in (["media_not_writable"], ["media_low_space"])
