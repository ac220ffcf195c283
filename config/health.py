"""Liveness and readiness probes for load balancers and operators."""
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_safe


def _database_status() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), postgis_full_version()")
        pg_version, postgis_version = cursor.fetchone()
    return {"postgresql": pg_version.split(",")[0], "postgis": postgis_version.split('"')[1]}


@require_safe
def healthz(request):
    """Database and PostGIS reachable, with their versions; 503 otherwise."""
    try:
        database = _database_status()
    except Exception as exc:  # any database failure means "unhealthy"
        return JsonResponse({"status": "error", "code": "database_unavailable", "message": str(exc)},
                            status=503, headers={"Retry-After": "5"})
    return JsonResponse({"status": "ok", "database": database})


@require_safe
def readyz(request):
    """Ready to take traffic: database answers and migrations are applied."""
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return JsonResponse({"status": "error", "code": "database_unavailable", "message": str(exc)},
                            status=503, headers={"Retry-After": "5"})
    if pending:
        return JsonResponse({"status": "error", "code": "migrations_pending", "pending": len(pending)},
                            status=503, headers={"Retry-After": "30"})
    checks = _optional_checks()
    degraded = [name for name, value in checks.items() if value.get("status") == "error"]
    return JsonResponse({"status": "degraded" if degraded else "ok", "checks": checks})


def _optional_checks() -> dict:
    """Broker and media storage: a failure degrades the service (jobs run inline,
    uploads fail) without taking it out of the load balancer."""
    import os
    import tempfile

    from django.conf import settings

    from ops.apis import queue_depth

    checks = {}
    from config.celery import app
    if app.conf.task_always_eager:
        checks["jobs"] = {"status": "ok", "mode": "inline"}
    else:
        depth = queue_depth()
        checks["jobs"] = ({"status": "error", "mode": "broker", "message": "broker unreachable"} if depth is None
                          else {"status": "ok", "mode": "broker", "queue_depth": depth})
    try:
        os.makedirs(settings.MEDIA_ROOT, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.MEDIA_ROOT, prefix=".readyz-"):
            pass
        checks["media"] = {"status": "ok"}
    except OSError as exc:
        checks["media"] = {"status": "error", "message": str(exc)}
    return checks
