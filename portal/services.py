"""Writes of the portal: the precomputed public figures (FiguresSnapshot).

Computing the dashboard's report figures is one scan of every report (8.9 s
at 1,000,000 reports), far too slow for a request. They are computed here,
off the request path, and stored as the policy returned them (already
suppressed); /dasbor/ and /peta/jumlah.json read the stored row.
"""
import datetime
import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from layers.policy import dashboard as dashboard_policy

from .models import FiguresSnapshot

log = logging.getLogger(__name__)

DASHBOARD_KEY = "dashboard"
# Any constant shared by every process: pg_try_advisory_xact_lock(key) lets one
# refresh run at a time; the others skip instead of queueing behind it.
_REFRESH_LOCK = 0x6B7264617368  # "krdash"


def _key(value) -> str:
    return "" if value is None else str(value)


def report_figures_encode(figures: dict) -> dict:
    """dashboard_report_figures() as JSON (int and date keys as strings)."""
    return {
        "total": figures["total"],
        "by_status": figures["by_status"],
        "months": [m.isoformat() for m in figures["months"]],
        "by_category_month": {_key(cid): {m.isoformat(): v for m, v in months.items()}
                              for cid, months in figures["by_category_month"].items()},
        "by_agency": {_key(aid): row for aid, row in figures["by_agency"].items()},
        "by_desa": {_key(k): v for k, v in figures["by_desa"].items()},
        "by_kecamatan": {_key(k): v for k, v in figures["by_kecamatan"].items()},
    }


def report_figures_decode(data: dict) -> dict:
    def ident(value: str):
        return int(value) if value else None

    return {
        "total": data["total"],
        "by_status": data["by_status"],
        "months": [datetime.date.fromisoformat(m) for m in data["months"]],
        "by_category_month": {ident(cid): {datetime.date.fromisoformat(m): v for m, v in months.items()}
                              for cid, months in data["by_category_month"].items()},
        "by_agency": {ident(aid): row for aid, row in data["by_agency"].items()},
        "by_desa": {ident(k): v for k, v in data["by_desa"].items()},
        "by_kecamatan": {ident(k): v for k, v in data["by_kecamatan"].items()},
    }


def dashboard_figures_compute() -> dict:
    """Every stored figure, read now through the publication policy."""
    from layers.policy import counts

    from . import selectors

    return {
        "reports": report_figures_encode(dashboard_policy.dashboard_report_figures()),
        # /api/v1/reports/counts/ without filters, one group at a time.
        "report_counts": {",".join(g): counts.report_counts_public(group_by=g)
                          for g in counts.PUBLISHED_GROUPINGS},
        "desa_aggregate_counts": selectors.desa_aggregate_counts_live(),
        "umkm": selectors.businesses_figures(),
    }


def dashboard_snapshot_refresh(*, wait: bool = False) -> FiguresSnapshot | None:
    """Recompute and store the dashboard figures; returns the new row.

    Returns None without doing anything when another refresh holds the lock
    (unless `wait`), so a burst of stale reads or overlapping beat runs
    computes once. The statement timeout of web requests does not apply:
    the scan is long by nature and runs off the request path.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
            cursor.execute(f"SELECT {lock}(%s)", [_REFRESH_LOCK])
            if not wait and not cursor.fetchone()[0]:
                return None
            cursor.execute("SET LOCAL statement_timeout = %s",
                           [f"{settings.PORTAL_FIGURES_STATEMENT_TIMEOUT_S}s"])
        started, computed_at = time.perf_counter(), timezone.now()
        data = dashboard_figures_compute()
        duration_ms = int((time.perf_counter() - started) * 1000)
        snapshot, _created = FiguresSnapshot.objects.update_or_create(
            key=DASHBOARD_KEY, defaults={"computed_at": computed_at, "duration_ms": duration_ms, "data": data})
    log.info("dashboard figures refreshed in %d ms", duration_ms)
    return snapshot


# The name of the background refresh (common.jobs.run_in_background).
REFRESH_THREAD = "dashboard-refresh"


def dashboard_snapshot_current() -> FiguresSnapshot:
    """The stored dashboard figures, computed now if there are none yet.

    When they are older than PORTAL_FIGURES_MAX_AGE_SECONDS (beat refreshes
    them at that interval), the stored figures are returned and a refresh is
    started: queued for a worker when a broker is configured, otherwise in a
    background thread of this process, or inline in this request when
    PORTAL_FIGURES_REFRESH_INLINE is set (small installs, tests).
    """
    snapshot = FiguresSnapshot.objects.filter(key=DASHBOARD_KEY).first()
    if snapshot is None:
        return dashboard_snapshot_refresh(wait=True)
    age = (timezone.now() - snapshot.computed_at).total_seconds()
    if age > settings.PORTAL_FIGURES_MAX_AGE_SECONDS:
        from django.core.cache import cache

        from common.jobs import enqueue

        from . import tasks

        if not tasks.dashboard_refresh.app.conf.task_always_eager:
            # A worker refreshes; one queued refresh per minute is enough.
            if cache.add("portal:dashboard-refresh-queued", 1, 60):
                enqueue(tasks.dashboard_refresh)
        elif settings.PORTAL_FIGURES_REFRESH_INLINE:
            # A concurrent refresh holding the lock returns None: keep the
            # previous figures meanwhile.
            return dashboard_snapshot_refresh() or snapshot
        else:
            # In a thread of this process: at a million reports the refresh
            # takes longer than a web request may (gunicorn's timeout, the
            # statement timeout); the advisory lock keeps it one across processes.
            from common.jobs import run_in_background

            run_in_background(REFRESH_THREAD, dashboard_snapshot_refresh)
    return snapshot
