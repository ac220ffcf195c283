"""The transactional outbox (common.outbox) on real PostgreSQL, Redis and processes."""
import datetime
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.db import connection, connections, transaction

from common import outbox
from common.outbox.models import OutboxMessage

from . import servers
from .test_jobs import broker
from .redisserver import private_redis

T0 = datetime.datetime(2026, 12, 1, 3, 0, tzinfo=datetime.timezone.utc)
calls: list[tuple[dict, str]] = []
failures: dict[str, int] = {}


def record(payload, *, key):
    if failures.get(key, 0) > 0:
        failures[key] -= 1
        OutboxMessage.objects.filter(key=key).update(payload={"written": "by a failing handler"})
        raise OSError("smtp refused")
    calls.append((payload, key))


@pytest.fixture(autouse=True)
def handlers():
    calls.clear()
    failures.clear()
    outbox.register("tests.record", record)
    yield
    outbox._handlers.pop("tests.record", None)


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_is_delivered_after_the_commit_and_a_rolled_back_one_never():
    with transaction.atomic():
        outbox.enqueue("tests.record", {"n": 1}, key="k-commit")
        assert OutboxMessage.objects.filter(key="k-commit").exists()  # in the caller's transaction
        assert calls == []  # not before the commit
    # no broker in the test settings: the kick delivered it inline, with its key
    assert calls == [({"n": 1}, "k-commit")]
    assert OutboxMessage.objects.get(key="k-commit").delivered_at is not None

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox.enqueue("tests.record", {"n": 2}, key="k-rollback")
            raise RuntimeError("the cause failed")
    assert not OutboxMessage.objects.filter(key="k-rollback").exists()
    assert outbox.deliver_due() == 0
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_key_is_stored_and_delivered_once():
    for n in range(3):
        with transaction.atomic():
            outbox.enqueue("tests.record", {"n": n}, key="same")
    assert OutboxMessage.objects.filter(key="same").count() == 1
    assert calls == [({"n": 0}, "same")]
    assert outbox.deliver("same") is False and outbox.deliver_due() == 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_retried_with_backoff_and_its_writes_rolled_back():
    failures["flaky"] = 2
    with transaction.atomic():
        outbox.enqueue("tests.record", {"n": 7}, key="flaky")
    row = OutboxMessage.objects.get(key="flaky")  # the inline kick failed once
    assert row.delivered_at is None and row.attempts == 1 and "smtp refused" in row.last_error
    assert row.payload == {"n": 7}  # the handler's own write was rolled back
    OutboxMessage.objects.filter(key="flaky").update(due_at=T0)

    assert outbox.deliver_due(now=T0) == 0  # second failure: rescheduled, not retried in the same pass
    row.refresh_from_db()
    first_wait = (row.due_at - T0).total_seconds()
    assert row.attempts == 2 and 0.8 * 2 * settings.OUTBOX_BACKOFF_SECONDS <= first_wait <= 2 * settings.OUTBOX_BACKOFF_SECONDS
    assert outbox.deliver_due(now=T0 + datetime.timedelta(seconds=first_wait - 1)) == 0  # not yet due
    assert outbox.deliver_due(now=row.due_at) == 1
    row.refresh_from_db()
    assert row.attempts == 3 and row.delivered_at == row.due_at and row.last_error == ""
    assert calls == [({"n": 7}, "flaky")]


def test_backoff_doubles_up_to_the_cap(settings):
    settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS = 10, 3600
    waits = [outbox.backoff_seconds(n) for n in (1, 2, 3, 4, 20)]
    for wait, nominal in zip(waits, (10, 20, 40, 80, 3600)):
        assert 0.8 * nominal <= wait <= nominal


@pytest.mark.django_db(transaction=True)
def test_a_kind_without_handler_stays_pending_until_one_is_registered():
    with transaction.atomic():
        outbox.enqueue("tests.later", {"x": 1}, key="later")
    row = OutboxMessage.objects.get(key="later")
    assert row.delivered_at is None and "no handler" in row.last_error
    seen = []
    outbox.register("tests.later", lambda payload, *, key: seen.append(key))
    try:
        assert outbox.deliver_due(now=row.due_at) == 1
    finally:
        outbox._handlers.pop("tests.later", None)
    assert seen == ["later"]


@pytest.mark.django_db(transaction=True)
def test_a_row_claimed_by_another_worker_is_skipped_not_waited_for():
    OutboxMessage.objects.bulk_create([
        OutboxMessage(kind="tests.record", key=f"c{i}", payload={"i": i}, created_at=T0, due_at=T0)
        for i in range(3)])
    claimed, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            OutboxMessage.objects.select_for_update().filter(key="c0").get()
            claimed.set()
            release.wait(30)
        connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert claimed.wait(30)
        started = time.monotonic()
        assert outbox.deliver_due(now=T0) == 2
        assert time.monotonic() - started < 5  # SKIP LOCKED: no waiting on the held row
        assert sorted(key for _, key in calls) == ["c1", "c2"]
    finally:
        release.set()
        thread.join()
    assert outbox.deliver_due(now=T0) == 1
    assert [key for _, key in calls][-1] == "c0"


WORKER = """
import os, sys, time, django
django.setup()
from common import outbox
def slow(payload, *, key):
    open(os.environ["MARK"], "a").write(key + "\\n")
    time.sleep(600)
outbox.register("tests.record", slow)
outbox.deliver_due(limit=10)
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing_and_the_retry_carries_the_same_key(tmp_path):
    OutboxMessage.objects.create(kind="tests.record", key="crash", payload={"n": 1}, created_at=T0, due_at=T0)
    mark = tmp_path / "mark"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": servers.test_database_url(),
           "MARK": str(mark)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=settings.BASE_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (mark.exists() and mark.read_text()):
            assert worker.poll() is None, worker.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert outbox.deliver_due(now=T0) == 0  # claimed by the living worker: skipped
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert mark.read_text() == "crash\n"
    row = OutboxMessage.objects.get(key="crash")
    assert row.delivered_at is None  # the dead worker's transaction never committed
    deadline = time.monotonic() + 30
    while outbox.deliver_due(now=T0) == 0:  # the server notices the dropped connection
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert calls == [({"n": 1}, "crash")]


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_broker_delivers_inline_after_the_commit():
    with broker("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        with transaction.atomic():
            outbox.enqueue("tests.record", {}, key="no-broker")
    assert calls == [({}, "no-broker")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kicks_lost_with_a_killed_redis_are_delivered_by_the_sweep():
    with private_redis() as url:
        with broker(url):
            for i in range(5):
                with transaction.atomic():
                    outbox.enqueue("tests.record", {"i": i}, key=f"lost{i}")
            assert redis.Redis.from_url(url).llen("celery") == 5  # kicks queued, no worker running
    # the private Redis was killed with its queue (no persistence): the kicks are gone
    assert calls == []
    from common.outbox import tasks

    assert tasks.sweep.apply().get() == 5
    assert sorted(key for _, key in calls) == [f"lost{i}" for i in range(5)]
    assert outbox.pending() == (0, None)


@pytest.mark.django_db(transaction=True)
def test_pending_counts_undelivered_rows_and_the_oldest_age():
    OutboxMessage.objects.create(kind="tests.record", key="p1", payload={}, created_at=T0, due_at=T0)
    OutboxMessage.objects.create(kind="tests.record", key="p2", payload={}, created_at=T0 + datetime.timedelta(seconds=30),
                                 due_at=T0)
    assert outbox.pending(now=T0 + datetime.timedelta(seconds=90)) == (2, 90.0)


def test_outbox_sweep_is_on_the_beat_schedule():
    from config.celery import app

    app.loader.import_default_modules()
    assert any(entry["task"] == "outbox.sweep" for entry in settings.CELERY_BEAT_SCHEDULE.values())
    assert "outbox.sweep" in app.tasks and "outbox.deliver" in app.tasks
