"""Writes of the layers app: the precomputed report counts (see models)."""
import datetime
import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.utils import OperationalError
from django.utils import timezone

from .models import SummaryState
from .signals import report_counts_rebuilt

logger = logging.getLogger(__name__)

REPORT_COUNTS = "report-counts"
# Any constant: the advisory lock that lets one request refresh at a time.
_REFRESH_LOCK = 5_000_001


def report_counts_mark_dirty(**_kwargs) -> None:
    """Receiver of reports.signals.report_changed: one UPDATE, which usually
    touches nothing (already dirty), so concurrent submissions do not queue
    on the state row's lock. Without a state row the counts were never built
    and every reader builds them (report_counts_prepare_read), so there is
    nothing to mark."""
    SummaryState.objects.filter(name=REPORT_COUNTS, dirty=False).update(dirty=True)


REFRESH_THREAD = "report-counts-refresh"


def report_counts_prepare_read():
    """Called before the report-counts cells are read. With no cells yet they
    are built now. When a report changed since the last build (and the
    minimum interval passed), the rebuild runs in a background thread of this
    process (common.jobs.run_in_background) while this read answers from the
    cells as they are: at 1,000,000 reports a rebuild takes seconds, and a map
    or OGC request must not wait for it (the advisory lock keeps it to one
    rebuild across processes). LAYERS_REPORT_COUNTS_REFRESH_INLINE rebuilds in
    the request instead (small installs, tests)."""
    from common.jobs import run_in_background

    state = SummaryState.objects.filter(name=REPORT_COUNTS).first()
    if state is None or state.refreshed_at is None or settings.LAYERS_REPORT_COUNTS_REFRESH_INLINE:
        report_counts_refresh()
    elif _refresh_due(state, timezone.now()):
        run_in_background(REFRESH_THREAD, report_counts_refresh)


def _refresh_due(state, now) -> bool:
    """Dirty and past the minimum interval, a day old, or built in an earlier
    month (WIB): a new month is a new published cell, zero until a report."""
    age = now - state.refreshed_at
    if timezone.localtime(state.refreshed_at).strftime("%Y-%m") != timezone.localtime(now).strftime("%Y-%m"):
        return True
    min_interval = datetime.timedelta(seconds=settings.LAYERS_REPORT_COUNTS_MIN_INTERVAL_S)
    return not (age < datetime.timedelta(days=1) and (not state.dirty or age < min_interval))


def report_counts_refresh(*, force: bool = False) -> bool:
    """Rebuild layers_reportcountcell if it is missing, dirty (and not
    refreshed in the last LAYERS_REPORT_COUNTS_MIN_INTERVAL_S) or older than a
    day. Returns whether it was rebuilt. Concurrent callers do not wait: one
    rebuilds, the others read the cells as they are."""
    from .policy.planner import AGGREGATE_DESA, planner_report_source

    now = timezone.now()
    state = SummaryState.objects.filter(name=REPORT_COUNTS).first()
    if not force and state is not None and state.refreshed_at is not None and not _refresh_due(state, now):
        return False
    try:
        return _report_counts_rebuild(source=planner_report_source(), now=now, desa_level=AGGREGATE_DESA)
    except OperationalError as exc:
        # Past the statement timeout the previous cells stay published (and
        # the command or a later read rebuilds them).
        if "statement timeout" not in str(exc):
            raise
        logger.warning("report counts not rebuilt: %s", exc)
        return False


def _report_counts_rebuild(*, source, now, desa_level: str) -> bool:
    """One rebuild at a time (a session advisory lock; others return False).

    The dirty flag is cleared before the counts' snapshot is taken, not when
    they are stored: a report committed after the snapshot is marked by its
    writer after its commit, so the flag stays set and the next refresh picks
    it up (clearing it at the end lost such a mark, and the counts lagged
    until they were a day old). A failed rebuild sets the flag again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFRESH_LOCK])
        if not cursor.fetchone()[0]:
            return False
    try:
        SummaryState.objects.update_or_create(name=REPORT_COUNTS, defaults={"dirty": False})
        _report_counts_store(source=source, now=now, desa_level=desa_level)
    except BaseException:
        SummaryState.objects.filter(name=REPORT_COUNTS).update(dirty=True)
        raise
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFRESH_LOCK])
    return True


def _report_counts_store(*, source, now, desa_level: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, true)",
                       [str(settings.LAYERS_PLANNER_TIMEOUT_MS)])
        cursor.execute("DELETE FROM layers_reportcountcell")
        # Raw SQL: one INSERT ... SELECT over the policy's source; months in
        # local time (WIB).
        cursor.execute(f"""
            INSERT INTO layers_reportcountcell (area_id, category_code, month, n)
            SELECT CASE WHEN s.aggregate_level = %s THEN d.id ELSE d.parent_id END,
                   s.category_code,
                   date_trunc('month', s.created_at AT TIME ZONE 'Asia/Pontianak')::date, count(*)
              FROM ({source.sql}) AS s JOIN geo_area d ON d.id = s.desa_id
             WHERE s.aggregate_level = %s OR d.parent_id IS NOT NULL
             GROUP BY 1, 2, 3""", [desa_level, *source.params, desa_level])
        SummaryState.objects.filter(name=REPORT_COUNTS).update(refreshed_at=now)
        transaction.on_commit(lambda: report_counts_rebuilt.send(sender=REPORT_COUNTS))
