"""Background jobs: send a Celery task after commit; run a piece of work once.

    from common.jobs import enqueue, job_once
    enqueue(tasks.notify_agency_new_report, report.id)

`enqueue` sends the task only when the surrounding transaction commits (at
once outside a transaction), so a rolled-back write never notifies anyone and
the worker always finds the rows it is told about. Without a broker the task
runs inline (CELERY_TASK_ALWAYS_EAGER); if the broker is configured but
unreachable, it also runs inline rather than being lost.

`job_once(key, fn)` runs `fn` at most once per key across retries, duplicate
deliveries and overlapping beat runs (common.outbox.models.JobReceipt, row-locked).

`run_in_background(name, fn)` runs `fn` in a thread of this process, one at a
time per name: for a refresh a request must not wait for and that has no
broker to go to (the caller's advisory lock makes it one across processes).
"""
import logging
import threading
from typing import Callable

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

# Every task's retry policy (@shared_task(**RETRY)): transient failures worth
# retrying, the database or a mail/webhook peer away.
RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, ConnectionError, TimeoutError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


_broker = {"down_until": 0.0}


def _send(task, args: tuple, kwargs: dict) -> None:
    import time

    from django.conf import settings

    try:
        if not task.app.conf.task_always_eager and time.monotonic() < _broker["down_until"]:
            raise ConnectionError("broker skipped after a recent failure")
        task.apply_async(args=args, kwargs=kwargs)
    except Exception as exc:  # noqa: BLE001 - broker down or refusing: do the work now instead
        if task.app.conf.task_always_eager:
            raise
        if "skipped after a recent failure" not in str(exc):
            log.warning("broker unavailable for %s (%s); running inline", task.name, exc)
            _broker["down_until"] = time.monotonic() + getattr(settings, "JOBS_BROKER_RETRY_SECONDS", 5.0)
        result = task.apply(args=args, kwargs=kwargs)
        if result.failed():
            log.error("inline run of %s failed: %r", task.name, result.result)


def enqueue(task, *args, **kwargs) -> None:
    """Queue `task(*args, **kwargs)` once the current transaction commits."""
    # robust: a failing inline task is logged, never turned into a failed request
    # after its data has already been committed.
    transaction.on_commit(lambda: _send(task, args, kwargs), robust=True)


def job_once(key: str, fn: Callable[[], object], *, task: str = "") -> bool:
    """Run `fn` unless work under `key` is already done; True when it ran now.

    The receipt row is locked while `fn` runs, so a concurrent duplicate waits
    and then skips; database writes made by `fn` commit together with the
    receipt, and an exception rolls both back (the caller's retry runs it again).
    """
    from common.outbox.models import JobReceipt

    with transaction.atomic():
        JobReceipt.objects.bulk_create([JobReceipt(key=key, task=task[:100])], ignore_conflicts=True)
        receipt = JobReceipt.objects.select_for_update().get(key=key)
        if receipt.done_at is not None:
            return False
        fn()
        receipt.attempts += 1
        receipt.done_at = timezone.now()
        receipt.save(update_fields=["attempts", "done_at"])
    return True


_threads: dict[str, threading.Thread] = {}
_threads_lock = threading.Lock()


def run_in_background(name: str, fn: Callable[[], object]) -> threading.Thread:
    """Start `fn` in a daemon thread unless one under `name` is still running;
    returns the running thread. A failure is logged (the next caller tries
    again); the thread's database connection is closed at the end."""

    def run():
        try:
            fn()
        except Exception:  # noqa: BLE001 - logged; the next caller starts it again
            log.exception("background %s failed", name)
        finally:
            connection.close()

    with _threads_lock:
        thread = _threads.get(name)
        if thread is None or not thread.is_alive():
            thread = _threads[name] = threading.Thread(target=run, name=name, daemon=True)
            thread.start()
        return thread


def background_thread(name: str) -> threading.Thread | None:
    """The last thread started under `name` by run_in_background, if any."""
    return _threads.get(name)
