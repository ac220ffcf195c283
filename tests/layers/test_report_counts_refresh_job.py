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
