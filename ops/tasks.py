"""Background tasks. Each one is idempotent and retried with backoff.

Domain work stays in each app's services; these tasks only call it, so the same
code runs inline (no broker), from a management command, or in a worker.
"""
import logging
import os
import tempfile
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone

from common.jobs import RETRY, job_once

log = logging.getLogger(__name__)

OPEN_STATUSES = ("received", "verified", "dispatched", "in_progress")


@shared_task(name="ops.command_run", **RETRY)
def command_run(name: str, *args: str) -> str:
    """Run a whitelisted management command (imports, refreshes, retries)."""
    if name not in settings.OPS_JOB_COMMANDS:
        raise ValueError(f"command {name!r} is not allowed as a job")
    call_command(name, *args)
    return name


@shared_task(name="reports.notify_agency_new_report", **RETRY)
def notify_agency_new_report(report_id: str) -> None:
    from reports import notifications  # the reports app keeps one log row per delivery

    notifications.notify_agency_new_report(report_id=report_id)


@shared_task(name="reports.notify_reporter_status", **RETRY)
def notify_reporter_status(report_id: str, event_id: int) -> None:
    from reports import notifications

    notifications.notify_reporter_status(report_id=report_id, event_id=event_id)


@shared_task(name="reports.notify_merged", **RETRY)
def notify_merged(report_id: str, master_id: str) -> None:
    from reports import notifications

    notifications.notify_merged(report_id=report_id, master_id=master_id)


def reports_due_by_agency(*, today, until) -> dict[int, list]:
    """Open reports with an agency whose deadline is on or before `until`."""
    from reports.models import Report

    due: dict[int, list] = {}
    rows = (Report.objects.filter(status__in=OPEN_STATUSES, agency__isnull=False, deadline__lte=until)
            .order_by("deadline", "tracking_code").values_list("agency_id", "tracking_code", "deadline"))
    for agency_id, code, deadline in rows.iterator(chunk_size=2000):
        due.setdefault(agency_id, []).append((code, deadline))
    return due


@shared_task(name="ops.reports_deadline_reminders", **RETRY)
def reports_deadline_reminders() -> int:
    """One digest per agency per day: reports due soon and overdue (codes and links only).

    Runs hourly from beat; the JobReceipt key (agency, date) makes every run
    after the first one of the day a no-op, and a failed send is retried.
    """
    from django.core.mail import send_mail

    from common.workdays import add_working_days
    from geo.models import Agency

    today = timezone.localdate()
    until = add_working_days(today, settings.OPS_REMINDER_WORKING_DAYS)
    sent = 0
    base = getattr(settings, "REPORTS_PUBLIC_BASE_URL", "").rstrip("/")
    for agency_id, items in reports_due_by_agency(today=today, until=until).items():
        agency = Agency.objects.filter(id=agency_id).exclude(email="").first()
        if agency is None:
            continue
        overdue = [code for code, deadline in items if deadline < today]
        soon = [code for code, deadline in items if deadline >= today]
        lines = [f"Laporan melewati tenggat ({len(overdue)}):"] + [f"  {c}  {base}/lacak/{c}" for c in overdue]
        lines += ["", f"Laporan jatuh tempo sampai {until:%d-%m-%Y} ({len(soon)}):"]
        lines += [f"  {c}  {base}/lacak/{c}" for c in soon]
        ran = job_once(f"deadline-digest:{agency_id}:{today.isoformat()}", lambda: send_mail(
            subject=f"[RT Online] {len(overdue)} laporan lewat tenggat, {len(soon)} jatuh tempo",
            message="\n".join(lines), from_email=None, recipient_list=[agency.email]),
            task="ops.reports_deadline_reminders")
        sent += ran
    return sent


@shared_task(name="ops.layer_export", **RETRY)
def layer_export(layer_id: str, fmt: str = "gpkg") -> str:
    """Write a whole layer to OPS_EXPORT_DIR/<layer>.<fmt>, atomically.

    The file is written under a temporary name in the same directory and
    renamed into place, so an export interrupted midway (worker killed,
    database gone) leaves the previous complete file, never a half-written one.
    """
    from layers import exports
    from layers.registry import layer_get

    layer = layer_get(layer_id)
    if layer is None:
        raise ValueError(f"unknown layer {layer_id!r}")
    out_dir = Path(settings.OPS_EXPORT_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{layer_id}.{fmt}"
    fd, tmp_name = tempfile.mkstemp(dir=out_dir, prefix=f".{layer_id}.", suffix=f".{fmt}.part")
    os.close(fd)
    try:
        if fmt == "gpkg":
            os.unlink(tmp_name)  # sqlite creates the file itself
            exports.geopackage_write(layer=layer, path=tmp_name)
        elif fmt in ("geojson", "csv"):
            chunks = exports.geojson_chunks if fmt == "geojson" else exports.csv_chunks
            with open(tmp_name, "wb") as fh:
                for chunk in chunks(layer=layer):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            raise ValueError(f"unknown export format {fmt!r}")
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return str(target)


@shared_task(name="ops.ping", **RETRY)
def ping(key: str) -> bool:
    """Round trip through the queue: records `key` once (readiness checks, tests)."""
    return job_once(f"ping:{key}", lambda: None, task="ops.ping")


@shared_task(name="ops.heartbeat", ignore_result=True)
def heartbeat(name: str = "celery") -> None:
    """Run by beat through the broker on a worker: /readyz reads its age."""
    from ops.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


# --- Metrics: every task run counted by outcome (common.metrics.JOBS) ----------
from celery import signals  # noqa: E402

from common.metrics import JOBS  # noqa: E402


@signals.task_success.connect
def _count_success(sender=None, **kwargs):
    JOBS.labels(getattr(sender, "name", "?"), "success").inc()


@signals.task_failure.connect
def _count_failure(sender=None, **kwargs):
    JOBS.labels(getattr(sender, "name", "?"), "failure").inc()


@signals.task_retry.connect
def _count_retry(sender=None, **kwargs):
    JOBS.labels(getattr(sender, "name", "?"), "retry").inc()
