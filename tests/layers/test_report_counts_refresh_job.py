"""The periodic job behind the beat entry `report-counts-refresh`: it
rebuilds the counts only when due, so running it every few minutes costs
one read of the state row when nothing changed."""
import io

import pytest
from django.conf import settings
from django.core.management import call_command

from layers.models import SummaryState
from layers.services import REPORT_COUNTS

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = io.StringIO()
    call_command("layers_refresh_counts", "--if-due", stdout=out)
    return out.getvalue().strip()


def test_the_job_rebuilds_only_when_due(kubu_raya):
    assert "layers_refresh_counts" in settings.OPS_JOB_COMMANDS
    assert settings.CELERY_BEAT_SCHEDULE["report-counts-refresh"]["args"] == ["layers_refresh_counts", "--if-due"]
    assert _run() == "report counts rebuilt"            # never built
    first = SummaryState.objects.get(name=REPORT_COUNTS).refreshed_at
    assert _run() == "report counts current: not rebuilt"
    assert SummaryState.objects.get(name=REPORT_COUNTS).refreshed_at == first
    SummaryState.objects.filter(name=REPORT_COUNTS).update(dirty=True, refreshed_at=first.replace(year=first.year - 1))
    assert _run() == "report counts rebuilt"            # dirty, and long past the minimum interval
    assert SummaryState.objects.get(name=REPORT_COUNTS).dirty is False


def _on_counts_insert(action):
    """An execute wrapper running `action` right after the rebuild's INSERT
    ... SELECT, i.e. after its snapshot of the reports was taken."""
    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().startswith("INSERT INTO layers_reportcountcell"):
            action()
        return result
    return wrapper


def test_a_report_marked_while_the_counts_are_rebuilt_keeps_them_dirty(kubu_raya):
    """A report committed after the rebuild's snapshot is not in these counts;
    its writer marks the counts dirty after its commit, while the rebuild
    still runs. The mark must survive the rebuild, or the counts would lag
    until they are a day old."""
    from django.db import connection

    from layers.services import report_counts_mark_dirty, report_counts_refresh

    with connection.execute_wrapper(_on_counts_insert(report_counts_mark_dirty)):
        assert report_counts_refresh(force=True)
    state = SummaryState.objects.get(name=REPORT_COUNTS)
    assert state.dirty is True and state.refreshed_at is not None
    assert report_counts_refresh(force=True)  # nothing written meanwhile: clean
    assert SummaryState.objects.get(name=REPORT_COUNTS).dirty is False


def test_a_failed_rebuild_leaves_the_counts_dirty_and_the_cells_as_they_were(kubu_raya):
    from django.db import OperationalError, connection

    from layers.models import ReportCountCell
    from layers.services import report_counts_refresh

    call_command("reports_generate_synthetic", "--target", "300", "--seed", "3", stdout=io.StringIO())
    assert report_counts_refresh(force=True)
    before = list(ReportCountCell.objects.values_list("area_id", "category_code", "month", "n"))
    refreshed = SummaryState.objects.get(name=REPORT_COUNTS).refreshed_at

    def time_out():
        raise OperationalError("canceling statement due to statement timeout")

    with connection.execute_wrapper(_on_counts_insert(time_out)):
        assert report_counts_refresh(force=True) is False
    state = SummaryState.objects.get(name=REPORT_COUNTS)
    assert state.dirty is True and state.refreshed_at == refreshed
    assert before and list(ReportCountCell.objects.values_list("area_id", "category_code", "month", "n")) == before
