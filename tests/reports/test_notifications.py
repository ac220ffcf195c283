"""Notifications leave after commit, are idempotent and retried."""
import contextlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from common import outbox
from common.outbox.models import OutboxMessage
from geo.models import Agency
from reports import notifications
from reports.models import NotificationLog, Report

from .conftest import SUNGAI_RAYA, client_for


@contextlib.contextmanager
def webhook_server():
    """A real HTTP peer on a free port that records the JSON bodies POSTed to it."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


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


def test_failing_webhook_stays_in_the_outbox_and_is_delivered_once_the_peer_answers(
        submit, users, django_capture_on_commit_callbacks, settings):
    Agency.objects.filter(code="pupr").update(webhook_url="http://127.0.0.1:9/tertutup")  # discard port: refused
    with django_capture_on_commit_callbacks(execute=True):
        report_id = submit(users["resident"]).json()["id"]
    hook = OutboxMessage.objects.get(key__startswith=f"agency-hook:{report_id}")
    assert hook.delivered_at is None and hook.attempts == 1 and "Connection refused" in hook.last_error
    assert hook.due_at > hook.created_at  # backoff
    assert NotificationLog.objects.get(key__startswith=f"agency-mail:{report_id}").sent_at is not None
    assert OutboxMessage.objects.get(key__startswith=f"agency-mail:{report_id}").delivered_at is not None

    with webhook_server() as (url, received):
        Agency.objects.filter(code="pupr").update(webhook_url=url)
        assert outbox.deliver_due(now=hook.due_at) == 1
        assert outbox.deliver_due(now=hook.due_at) == 0
        notifications.notify_agency_new_report(report_id=report_id)  # a repeated delivery: sent already
    assert len(received) == 1 and received[0]["event"] == "report.assigned"
    assert len(mail.outbox) == 1


def test_a_stored_report_always_has_its_notification_even_when_the_request_dies_after_commit(
        submit, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the worker died before its after-commit hooks ran
        report_id = submit(users["resident"]).json()["id"]
    row = OutboxMessage.objects.get(key__startswith=f"agency-mail:{report_id}")
    assert row.kind == "reports.agency_mail" and row.payload["report_id"] == report_id
    assert mail.outbox == []
    assert outbox.deliver_due(now=row.due_at) == 1  # the sweep
    assert [m.to for m in mail.outbox] == [["pupr@example.kuburayakab.go.id"]]
    # the citizen's retry of the same UUID adds nothing and sends nothing again
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(users["resident"], report_id=report_id).status_code == 200
    assert OutboxMessage.objects.filter(payload__report_id=report_id).count() == 1
    assert len(mail.outbox) == 1


def test_a_failing_receiver_of_report_changed_does_not_stop_the_notification(
        submit, users, django_capture_on_commit_callbacks):
    from reports.signals import report_changed

    def broken_tile_cache(**kwargs):
        raise ConnectionError("redis went away")

    report_changed.connect(broken_tile_cache, dispatch_uid="test-broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = submit(users["resident"])
    finally:
        report_changed.disconnect(dispatch_uid="test-broken")
    assert response.status_code == 201
    assert [m.to for m in mail.outbox] == [["pupr@example.kuburayakab.go.id"]]


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
