"""Notifications leave after commit, are idempotent and retried."""
import uuid

import pytest
from django.core import mail

from geo.models import Agency
from reports import notifications
from reports.models import NotificationLog, Report

from .conftest import SUNGAI_RAYA, client_for


def test_agency_is_told_after_commit_and_only_once(submit, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report_id = submit(users["resident"]).json()["id"]
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["pupr@example.kuburayakab.go.id"]]
    notifications.notify_agency_new_report(report_id=report_id)  # a retry by a task queue
    assert len(mail.outbox) == 1
    assert "Jalan berlubang" in mail.outbox[0].body  # P0: details allowed


def test_rejected_input_sends_nothing(submit, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(users["resident"], category="ufo").status_code == 400
    assert mail.outbox == []


def test_failing_webhook_is_retried_and_left_for_a_later_retry(submit, users, django_capture_on_commit_callbacks,
                                                               settings):
    Agency.objects.filter(code="pupr").update(webhook_url="http://127.0.0.1:9/tertutup")  # discard port: refused
    with django_capture_on_commit_callbacks(execute=True):
        report_id = submit(users["resident"]).json()["id"]
    hook = NotificationLog.objects.get(key__startswith=f"agency-hook:{report_id}")
    assert hook.sent_at is None and hook.attempts == settings.REPORTS_NOTIFY_ATTEMPTS and hook.last_error
    assert NotificationLog.objects.get(key__startswith=f"agency-mail:{report_id}").sent_at is not None
    assert notifications.notifications_retry() == 1


def test_reporter_hears_of_public_status_changes_with_a_link_only_for_restricted(
        submit, users, django_capture_on_commit_callbacks):
    report_id = submit(users["resident"], category="health-visit", photo=None,
                       description="Nenek demam tinggi").json()["id"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(users["pkm"]).post(f"/api/v1/reports/{report_id}/transitions/",
                                      {"to": "dispatched", "note": "internal", "public": False})
        client_for(users["pkm"]).post(f"/api/v1/reports/{report_id}/transitions/",
                                      {"to": "in_progress", "note": "Kunjungan besok", "public": True})
    to_reporter = [m for m in mail.outbox if m.to == ["warga@example.org"]]
    assert len(to_reporter) == 1
    body = to_reporter[0].body
    tracking = Report.objects.get(id=report_id).tracking_code
    assert tracking in body and f"/lacak/{tracking}/" in body
    assert "demam" not in body and "Kunjungan" not in body
