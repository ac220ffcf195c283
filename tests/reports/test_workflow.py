"""The SP4N-LAPOR! workflow: transitions in one service, timeline, evidence,
dispute, re-routing, working-day deadlines, overdue."""
import datetime
import io
import zoneinfo

import pytest

from reports.models import Report, ReportEvent, RoutingDecision
from reports.services import report_submit

from .conftest import SUNGAI_RAYA, client_for, jpeg_bytes

WIB = zoneinfo.ZoneInfo("Asia/Pontianak")


def _move(user, report_id, to, **data):
    return client_for(user).post(f"/api/v1/reports/{report_id}/transitions/", {"to": to, **data})


@pytest.fixture
def road(submit, users):
    return submit(users["resident"]).json()["id"]


def test_full_path_to_resolution_with_timeline(users, road):
    assert _move(users["coordinator"], road, "verified").status_code == 200
    assert _move(users["pupr"], road, "dispatched").status_code == 200
    assert _move(users["pupr_crew"], road, "in_progress", note="Tim berangkat").status_code == 200
    photo = io.BytesIO(jpeg_bytes())
    photo.name = "bukti.jpg"
    response = _move(users["pupr_crew"], road, "resolved", note="Sudah ditambal", photo=photo)
    assert response.status_code == 200, response.content
    report = Report.objects.get(id=road)
    assert report.status == "resolved" and report.resolved_at is not None
    kinds = [(e.kind, e.to_status) for e in report.events.order_by("created_at", "id")]
    assert kinds == [("created", "received"), ("status", "verified"), ("status", "dispatched"),
                     ("status", "in_progress"), ("status", "resolved")]
    assert report.photos.filter(kind="evidence").count() == 1
    timeline = client_for(users["pupr"]).get(f"/api/v1/reports/{road}/timeline/").json()
    assert [e["to_status"] for e in timeline][-1] == "resolved"


def test_resolving_needs_evidence(users, road):
    _move(users["pupr"], road, "dispatched")
    response = _move(users["pupr"], road, "resolved")
    assert response.status_code == 400 and response.json()["code"] == "evidence_required"
    assert Report.objects.get(id=road).status == "dispatched"


def test_forbidden_transition_is_refused_and_changes_nothing(users, road):
    _move(users["coordinator"], road, "rejected", note="Spam")
    events = ReportEvent.objects.filter(report_id=road).count()
    response = _move(users["pupr"], road, "in_progress")
    assert response.status_code == 409 and response.json()["code"] == "forbidden_transition"
    assert Report.objects.get(id=road).status == "rejected"
    assert ReportEvent.objects.filter(report_id=road).count() == events


def test_field_crew_cannot_reject_and_resident_cannot_move(users, road):
    assert _move(users["pupr_crew"], road, "verified").status_code == 403
    assert _move(users["resident2"], road, "verified").status_code == 404
    assert _move(users["resident"], road, "verified").status_code == 403  # the reporter is no officer
    assert Report.objects.get(id=road).status == "received"


def test_reporter_dispute_reopens_a_resolution(users, road):
    _move(users["pupr"], road, "dispatched")
    _move(users["pupr"], road, "resolved", note="Selesai")
    assert _move(users["resident"], road, "in_progress").status_code == 400  # a reason is required
    response = _move(users["resident"], road, "in_progress", note="Masih berlubang")
    assert response.status_code == 200, response.content
    report = Report.objects.get(id=road)
    assert report.status == "in_progress" and report.resolved_at is None
    assert report.events.order_by("-id").first().kind == "dispute"


def test_not_our_authority_goes_back_to_triage_and_rerouting_is_audited(users, road):
    response = _move(users["pupr"], road, "not_our_authority", note="Jalan provinsi, bukan wewenang kabupaten")
    assert response.status_code == 200, response.content
    report = Report.objects.get(id=road)
    assert report.agency is None
    queue = [r["id"] for r in client_for(users["coordinator"]).get("/api/v1/reports/queue/").json()["results"]]
    assert road in queue
    # PUPR no longer handles it: it sees only the public view of this P0 report.
    assert "routing_reason" not in client_for(users["pupr"]).get(f"/api/v1/reports/{road}/").json()
    assert _move(users["pupr"], road, "dispatched", agency="bpbd").status_code == 404
    response = _move(users["coordinator"], road, "dispatched", agency="bpbd", note="Dialihkan ke BPBD")
    assert response.status_code == 200, response.content
    decisions = list(RoutingDecision.objects.filter(report_id=road).order_by("id").values_list(
        "kind", "from_agency__code", "agency__code", "actor__username"))
    assert decisions == [("automatic", None, "pupr", None),
                         ("not_ours", "pupr", None, "staf_pupr"),
                         ("reroute", None, "bpbd", "koordinator")]
    assert Report.objects.get(id=road).agency.code == "bpbd"


def test_deadline_counts_working_days_across_a_public_holiday(taxonomy, desa_point):
    lon, lat = desa_point(SUNGAI_RAYA)
    # Friday 14 August 2026, flood target 2 working days: Monday 17 August is
    # Independence Day, so the deadline is Wednesday 19 August.
    friday = datetime.datetime(2026, 8, 14, 10, 0, tzinfo=WIB)
    result = report_submit(report_id="6f1c4a8e-0000-4000-8000-000000000001", category_code="flood",
                           lon=lon, lat=lat, now=friday)
    assert result.report.deadline == datetime.date(2026, 8, 19)
    # Late Friday evening local time is still Friday (UTC would say Friday too,
    # but 01:00 WIB Saturday is Friday 18:00 UTC: the local day counts).
    saturday_early = datetime.datetime(2026, 8, 15, 1, 0, tzinfo=WIB)
    result = report_submit(report_id="6f1c4a8e-0000-4000-8000-000000000002", category_code="flood",
                           lon=lon, lat=lat, now=saturday_early)
    assert result.report.deadline == datetime.date(2026, 8, 19)


def test_overdue_reports_are_visible_to_the_agency_head(users, road):
    Report.objects.filter(id=road).update(deadline=datetime.date(2020, 1, 2))
    body = client_for(users["pupr_head"]).get("/api/v1/reports/overdue/").json()
    assert [r["id"] for r in body["results"]] == [road]
    assert client_for(users["pupr"]).get("/api/v1/reports/overdue/").status_code == 403
    assert client_for(users["bpbd"]).get("/api/v1/reports/overdue/").status_code == 403
