"""Background jobs: after-commit sending, exactly-once effects, retries, a real worker."""
import contextlib
import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from celery import shared_task
from django.conf import settings
from django.db import OperationalError, connection, transaction

from common.jobs import enqueue, job_once
from common.outbox.models import JobReceipt
from config.celery import app
from ops import tasks

REDIS_URL = os.environ.get("OPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@contextlib.contextmanager
def broker(url: str):
    """Point the Celery app at a real broker for the duration of a test."""
    from common import jobs

    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, url
    jobs._broker["down_until"] = 0.0  # a failure seen by an earlier test does not count
    app._pool = None
    app.__dict__.pop("amqp", None)  # its producer pool holds connections to the old broker
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.broker_url = old
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.__dict__.pop("amqp", None)


@shared_task(name="tests.ops.flaky", autoretry_for=(OperationalError,), max_retries=3, retry_backoff=False)
def flaky(key: str, failures: int) -> None:
    """Fails `failures` times (counted in the database), then records `key`."""
    receipt, _ = JobReceipt.objects.get_or_create(key=f"flaky-count:{key}", defaults={"task": "flaky"})
    if receipt.attempts < failures:
        JobReceipt.objects.filter(pk=receipt.pk).update(attempts=receipt.attempts + 1)
        raise OperationalError("database went away")
    job_once(key, lambda: None, task="flaky")


@pytest.mark.django_db(transaction=True)
def test_enqueue_runs_after_commit_and_never_for_a_rollback():
    with transaction.atomic():
        enqueue(tasks.ping, "committed")
        assert not JobReceipt.objects.filter(key="ping:committed").exists()  # not before the commit
    assert JobReceipt.objects.get(key="ping:committed").done_at is not None

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            enqueue(tasks.ping, "rolled-back")
            raise RuntimeError("the write failed")
    assert not JobReceipt.objects.filter(key="ping:rolled-back").exists()


@pytest.mark.django_db
def test_job_once_runs_once_and_again_after_a_failure():
    calls = []
    assert job_once("k1", lambda: calls.append(1)) is True
    assert job_once("k1", lambda: calls.append(2)) is False
    assert calls == [1]

    def boom():
        calls.append("boom")
        raise OSError("smtp down")

    with pytest.raises(OSError):
        job_once("k2", boom)
    assert not JobReceipt.objects.filter(key="k2", done_at__isnull=False).exists()
    assert job_once("k2", lambda: calls.append(3)) is True
    assert calls == [1, "boom", 3]


@pytest.mark.django_db(transaction=True)
def test_transient_failures_are_retried_until_done():
    assert app.conf.task_always_eager  # no broker configured in the test settings
    flaky.apply(args=("retried", 2))
    assert JobReceipt.objects.get(key="retried").done_at is not None
    assert JobReceipt.objects.get(key="flaky-count:retried").attempts == 2


@pytest.mark.django_db(transaction=True)
def test_task_runs_are_counted_for_prometheus():
    from common.metrics import JOBS

    before = JOBS.labels("ops.ping", "success")._value.get()
    tasks.ping.apply(args=("counted",))
    assert JOBS.labels("ops.ping", "success")._value.get() == before + 1


@pytest.mark.django_db(transaction=True)
def test_unreachable_broker_runs_the_task_inline():
    with broker("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        enqueue(tasks.ping, "no-broker")
    assert JobReceipt.objects.get(key="ping:no-broker").done_at is not None


def test_command_run_refuses_commands_outside_the_whitelist():
    with pytest.raises(ValueError):
        tasks.command_run.run("flush", "--noinput")


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
        if entry["task"] == "ops.command_run":
            assert entry["args"][0] in settings.OPS_JOB_COMMANDS


@pytest.fixture
def redis_broker():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_consumes_the_redis_queue_exactly_once(redis_broker):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_BROKER_URL": redis_broker,
           "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
                               "--pool=solo", "--loglevel=WARNING", "--without-heartbeat", "--without-gossip",
                               "--without-mingle"], env=env, cwd=settings.BASE_DIR,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        key = uuid.uuid4().hex
        with broker(redis_broker):
            for _ in range(3):  # the same job delivered three times: one effect
                tasks.ping.apply_async(args=(key,), queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            receipt = JobReceipt.objects.filter(key=f"ping:{key}").first()
            if receipt and receipt.done_at and redis.Redis.from_url(redis_broker).llen(queue) == 0:
                break
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.3)
        receipt = JobReceipt.objects.get(key=f"ping:{key}")
        assert receipt.done_at is not None and receipt.attempts == 1
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    connection.close()
