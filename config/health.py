"""Liveness and readiness probes for load balancers and operators.

/healthz is liveness: the process answers. It touches no database, cache or
broker, so a locked table or a PostgreSQL outage never gets healthy workers
restarted. /readyz is readiness and says what it checked: the database (and
PostGIS) within a short timeout, migrations, the jobs (broker reachable and
its queue depth, a worker's heartbeat through beat, the oldest undelivered
outbox message), and media (writable, free space). Database or migration
failures answer 503; a failing job or media check answers 200 with status
"degraded" and the failing check (the service still answers, jobs run inline,
uploads are refused). Error details are logged, never shown: the public sees
a code and a message, no libpq text.
"""
import logging
import os
import shutil
import tempfile

from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)


@require_safe
def healthz(request):
    """The process is alive (no dependency is asked)."""
    return JsonResponse({"status": "ok"})


def _database_status() -> tuple[dict, int]:
    """Versions and the number of unapplied migrations. A locked or
    overloaded database answers "not ready" within about 2 s instead of
    holding the probe (and a thread) for as long as the lock lasts."""
    from django.db.migrations.executor import MigrationExecutor

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 2000")
            cursor.execute("SET LOCAL lock_timeout = 1000")
            cursor.execute("SELECT version(), postgis_lib_version()")
            pg_version, postgis_version = cursor.fetchone()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return {"postgresql": pg_version.split(",")[0], "postgis": postgis_version}, len(pending)


def _unavailable(code: str, message: str, retry_after: int) -> JsonResponse:
    return JsonResponse({"status": "error", "code": code, "message": message}, status=503,
                        headers={"Retry-After": str(retry_after)})


@require_safe
def readyz(request):
    """Ready to take traffic: database answers and migrations are applied;
    jobs and media are checked and reported."""
    try:
        database, pending = _database_status()
    except Exception:  # noqa: BLE001 - any database failure means "not ready"; the detail goes to the log
        log.warning("readyz: database check failed", exc_info=True)
        return _unavailable("database_unavailable", _("Basis data tidak dapat dihubungi."),
                            settings.OPS_RETRY_AFTER_SECONDS)
    if pending:
        body = {"status": "error", "code": "migrations_pending", "pending": pending,
                "message": _("Migrasi basis data belum dijalankan.")}
        return JsonResponse(body, status=503, headers={"Retry-After": "30"})
    checks = {"database": {"status": "ok", **database}, "jobs": jobs_check(), "media": media_check()}
    degraded = [name for name, value in checks.items() if value.get("status") == "error"]
    return JsonResponse({"status": "degraded" if degraded else "ok", "checks": checks})


def jobs_check(*, now=None) -> dict:
    """Broker, worker heartbeat and the oldest undelivered outbox message."""
    from common import outbox
    from config.celery import app
    from ops.apis import queue_depth
    from ops.models import WorkerHeartbeat

    now = now or timezone.now()
    problems = []
    pending, oldest = outbox.pending(now=now)
    check = {"outbox_pending": pending, "outbox_oldest_age_s": None if oldest is None else round(oldest)}
    if oldest is not None and oldest > settings.OPS_READY_OUTBOX_MAX_AGE:
        problems.append("outbox_stale")
    if app.conf.task_always_eager:
        check["mode"] = "inline"
    else:
        check["mode"] = "broker"
        depth = queue_depth()
        check["queue_depth"] = depth
        if depth is None:
            problems.append("broker_unreachable")
        beat = WorkerHeartbeat.objects.filter(name="celery").values_list("seen_at", flat=True).first()
        age = None if beat is None else (now - beat).total_seconds()
        check["worker_heartbeat_age_s"] = None if age is None else round(age)
        if age is None or age > settings.OPS_READY_HEARTBEAT_MAX_AGE:
            problems.append("worker_stale")
    check["status"] = "error" if problems else "ok"
    if problems:
        check["problems"] = problems
    return check


def media_check() -> dict:
    """MEDIA_ROOT can take a file, and has the free space uploads need."""
    root = settings.MEDIA_ROOT
    try:
        os.makedirs(root, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".readyz-") as probe:
            probe.write(b"x" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
        free = shutil.disk_usage(root).free
    except OSError as exc:
        log.warning("readyz: media not writable: %s", exc)
        return {"status": "error", "problems": ["media_not_writable"]}
    check = {"status": "ok", "free_bytes": free}
    if free < settings.OPS_READY_MEDIA_MIN_FREE_BYTES:
        check.update(status="error", problems=["media_low_space"])
    return check
