"""The reporter's dispute action on the tracking page /lacak/<code>/."""
import datetime

import pytest
from django.utils import timezone

from reports.models import Report, ReportEvent
from reports.services import report_transition
from tests.reports.conftest import (client_for, desa_point, make_user, submit, taxonomy,  # noqa: F401
                                    users)

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(users, submit):  # noqa: F811
    response = submit(users["resident"], category="road-damage")
    assert response.status_code == 201
    report = Report.objects.get(id=response.json()["id"])
    for to in (Report.Status.VERIFIED, Report.Status.DISPATCHED, Report.Status.IN_PROGRESS):
        report_transition(report_id=report.id, actor=users["pupr"], to=to)
    report_transition(report_id=report.id, actor=users["pupr"], to=Report.Status.RESOLVED, note="Sudah ditambal")
    report.refresh_from_db()
    return report


def test_reporter_disputes_a_resolution_from_the_tracking_page(users, resolved):
    page = client_for(users["resident"]).get(f"/lacak/{resolved.tracking_code}/")
    assert page.status_code == 200 and b'id="dispute-form">' in page.content  # shown, not hidden
    answer = client_for(users["resident"]).post(f"/lacak/{resolved.tracking_code}/sanggah/",
                                                {"note": "Lubangnya masih ada di depan sekolah"})
    assert answer.status_code == 302 and answer["Location"] == f"/lacak/{resolved.tracking_code}/"
    resolved.refresh_from_db()
    assert resolved.status == Report.Status.IN_PROGRESS and resolved.resolved_at is None
    dispute = ReportEvent.objects.get(report=resolved, kind=ReportEvent.Kind.DISPUTE)
    assert dispute.public and dispute.note == "Lubangnya masih ada di depan sekolah"
    after = client_for(users["resident"]).get(f"/lacak/{resolved.tracking_code}/")
    assert b"Lubangnya masih ada di depan sekolah" in after.content and b'id="dispute-form"' not in after.content


def test_only_the_signed_in_reporter_within_the_window_sees_or_uses_the_dispute(users, resolved):
    code = resolved.tracking_code
    # to anyone else the reporter's box is hidden (the filing phone reveals it
    # after proving its secret: tests/residents/test_reports.py)
    assert b'id="reporter-box" hidden' in client_for(users["resident2"]).get(f"/lacak/{code}/").content
    anonymous = client_for(None).get(f"/lacak/{code}/")
    assert b'id="reporter-box" hidden' in anonymous.content and b"/warga/masuk/?next=" in anonymous.content
    refused = client_for(users["resident2"]).post(f"/lacak/{code}/sanggah/", {"note": "bukan laporan saya"})
    assert refused.status_code == 403
    assert client_for(None).post(f"/lacak/{code}/sanggah/", {"note": "x"}).status_code == 403
    Report.objects.filter(id=resolved.id).update(resolved_at=timezone.now() - datetime.timedelta(days=15))
    assert b'id="dispute-form"' not in client_for(users["resident"]).get(f"/lacak/{code}/").content
    late = client_for(users["resident"]).post(f"/lacak/{code}/sanggah/", {"note": "terlambat"})
    assert late.status_code == 409 and "Batas waktu sanggahan sudah lewat" in late.content.decode()
    resolved.refresh_from_db()
    assert resolved.status == Report.Status.RESOLVED
    assert not ReportEvent.objects.filter(report=resolved, kind=ReportEvent.Kind.DISPUTE).exists()


def test_a_dispute_without_a_reason_is_refused_beside_the_field(users, resolved):
    answer = client_for(users["resident"]).post(f"/lacak/{resolved.tracking_code}/sanggah/", {"note": "  "})
    assert answer.status_code == 400 and b'id="dispute-error"' in answer.content
    resolved.refresh_from_db()
    assert resolved.status == Report.Status.RESOLVED
