"""Actions queued offline by a crew: applied exactly once per client id,
refused with a reason in words when no longer valid, nothing lost."""
import base64
import json
import uuid

import pytest

from offline.models import ClientAction
from reports import services as report_services
from reports.models import Report, ReportEvent
from tests.reports.conftest import client_for, jpeg_bytes

pytestmark = pytest.mark.django_db


def _report(submit, users, dispatch=True, **kw):
    """A road report routed to PUPR; dispatched to its crew unless told not to."""
    response = submit(users["resident"], category="road-damage", **kw)
    assert response.status_code == 201, response.content
    report = Report.objects.get(id=response.json()["id"])
    assert report.agency.code == "pupr"
    if dispatch:
        report_services.report_transition(report_id=report.id, actor=users["pupr"], to="dispatched", note="")
        report.refresh_from_db()
    return report


def _sync(user, *actions, lang="id"):
    return client_for(user).post("/api/v1/offline/actions/", json.dumps({"actions": list(actions)}),
                                 content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang)


def _action(report, **kw):
    return {"client_id": str(uuid.uuid4()), "report_id": str(report.id), "kind": "transition",
            "taken_at": "2026-12-01T03:00:00Z", **kw}


def test_a_transition_sent_twice_is_applied_once(submit, users):
    report = _report(submit, users)
    action = _action(report, to="in_progress", note="Tim berangkat dengan perahu")
    first = _sync(users["pupr_crew"], action)
    assert first.status_code == 200, first.content
    [result] = first.json()["results"]
    assert result["outcome"] == "applied" and result["repeated"] is False and result["status"] == "in_progress"
    events = ReportEvent.objects.filter(report=report).count()
    again = _sync(users["pupr_crew"], action)
    [repeat] = again.json()["results"]
    assert repeat["outcome"] == "applied" and repeat["repeated"] is True
    assert ReportEvent.objects.filter(report=report).count() == events
    report.refresh_from_db()
    assert report.status == "in_progress"


def test_a_stale_transition_is_refused_with_a_reason_and_its_note_and_photo_kept(submit, users):
    report = _report(submit, users)
    # While the crew is on the river, the coordinator moves the report on.
    report_services.report_transition(report_id=report.id, actor=users["pupr"], to="resolved",
                                      note="Sudah ditangani regu lain")
    photo = "data:image/jpeg;base64," + base64.b64encode(jpeg_bytes((320, 240))).decode()
    action = _action(report, to="in_progress", note="Lubang sudah ditimbun sementara", photo=photo,
                     from_status="dispatched")
    [result] = _sync(users["pupr_crew"], action).json()["results"]
    assert result["outcome"] == "refused" and result["code"] in ("forbidden_transition", "permission_denied")
    assert "Selesai" in result["message"] and "Catatan Anda tetap disimpan" in result["message"]
    assert result["photo_kept"] is True
    stored = ClientAction.objects.get(client_id=action["client_id"])
    assert stored.request["note"] == "Lubang sudah ditimbun sementara" and stored.photo
    assert ReportEvent.objects.filter(report=report, kind=ReportEvent.Kind.NOTE,
                                      note__contains="Lubang sudah ditimbun sementara").count() == 1
    report.refresh_from_db()
    assert report.status == "resolved"


def test_a_report_rerouted_meanwhile_is_refused_and_the_crew_is_told_why(submit, users):
    report = _report(submit, users, dispatch=False)
    report_services.report_transition(report_id=report.id, actor=users["coordinator"], to="dispatched",
                                      agency_code="bpbd", note="Banjir, bukan jalan")
    action = _action(report, to="resolved", note="Diperbaiki")
    [result] = _sync(users["pupr_crew"], action).json()["results"]
    assert result["outcome"] == "refused" and result["code"] == "not_found"
    assert "dialihkan" in result["message"]
    assert ClientAction.objects.get(client_id=action["client_id"]).request["note"] == "Diperbaiki"
    report.refresh_from_db()
    assert report.status == "dispatched" and report.agency.code == "bpbd"


def test_another_user_replaying_an_id_gets_409_and_no_data(submit, users):
    report = _report(submit, users)
    action = _action(report, kind="note", note="Catatan kru")
    assert _sync(users["pupr_crew"], action).json()["results"][0]["outcome"] == "applied"
    [other] = _sync(users["pupr"], action).json()["results"]
    assert other["outcome"] == "error" and other["code"] == "id_conflict"
    assert "report_id" not in other or other.get("status") is None


def test_batch_order_and_bad_input(submit, users):
    report = _report(submit, users)
    later = _action(report, to="resolved", note="Selesai diperbaiki", taken_at="2026-12-01T05:00:00Z")
    earlier = _action(report, to="in_progress", taken_at="2026-12-01T04:00:00Z")
    results = _sync(users["pupr_crew"], later, earlier).json()["results"]
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    report.refresh_from_db()
    assert report.status == "resolved"
    before = ClientAction.objects.count()
    for body in ({"actions": []}, {"actions": "x"}, {"actions": [1]}, {}):
        response = client_for(users["pupr_crew"]).post("/api/v1/offline/actions/", json.dumps(body),
                                                       content_type="application/json")
        assert response.status_code == 400 and response.json()["code"], body
    bad = _sync(users["pupr_crew"], {"client_id": "nope", "report_id": str(report.id), "kind": "note"},
                lang="en").json()["results"]
    assert bad[0]["outcome"] == "error" and bad[0]["code"] == "invalid_action"
    assert ClientAction.objects.count() == before
    assert client_for(None).post("/api/v1/offline/actions/", "{}", content_type="application/json"
                                 ).status_code in (401, 403)


def test_the_package_holds_the_crews_open_queue_and_its_desa_only(submit, users, settings):
    settings.PORTAL_BASEMAP_URL = "https://tile.example.org/{z}/{x}/{y}.png"
    settings.OFFLINE_BASEMAP_URL = "https://vt.example.org/{z}/{x}/{y}.pbf"
    mine = _report(submit, users)
    closed = _report(submit, users, description="Sudah beres")
    report_services.report_transition(report_id=closed.id, actor=users["pupr"], to="resolved", note="ok")
    response = client_for(users["pupr_crew"]).get("/api/v1/offline/package/")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    package = response.json()
    ids = {r["id"] for r in package["reports"]}
    assert str(mine.id) in ids and str(closed.id) not in ids
    assert Report.objects.filter(id__in=ids).exclude(agency__code="pupr").count() == 0
    assert package["desa"]["features"] and all(f["properties"]["name"] for f in package["desa"]["features"])
    assert package["estimated_bytes"] <= package["budget_bytes"] == 30 * 2**20
    # The basemap is vector tiles (MVT), z10-z14, drawn overzoomed above 14:
    # the desa and kecamatan boundaries' own tiles, and the configured
    # OpenMapTiles source; the raster basemap is not taken offline.
    basemap = package["basemap"]
    assert basemap["format"] == "mvt"
    assert [(s["template"], s["max_zoom"]) for s in basemap["sources"]] == [
        ("/tiles/desa,kecamatan/{z}/{x}/{y}.mvt", 12), ("https://vt.example.org/{z}/{x}/{y}.pbf", 14)]
    zooms = [(z["z"], z["sources"]) for z in basemap["zooms"]]
    assert zooms[:3] == [(10, ["batas", "osm"]), (11, ["batas", "osm"]), (12, ["batas", "osm"])]
    assert all(sources == ["osm"] for z, sources in zooms[3:])
    assert [z for z, _ in zooms] == list(range(10, 10 + len(zooms)))
    assert basemap["tiles"] == sum(z["tiles"] * len(z["sources"]) for z in basemap["zooms"]) > 0
    assert "tile.example.org" not in json.dumps(package)
    settings.OFFLINE_BASEMAP_URL = ""   # boundaries only: z10-z12
    basemap = client_for(users["pupr_crew"]).get("/api/v1/offline/package/").json()["basemap"]
    assert [z["z"] for z in basemap["zooms"]] == [10, 11, 12] and len(basemap["sources"]) == 1
    last = basemap["zooms"][-1]
    tile = client_for(users["pupr_crew"]).get(f"/tiles/desa,kecamatan/12/{last['x'][0]}/{last['y'][0]}.mvt")
    assert tile.status_code in (200, 204)
    # Residents and planners have no queue to take offline.
    for who in ("resident", "planner"):
        denied = client_for(users[who]).get("/api/v1/offline/package/")
        assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    assert client_for(None).get("/api/v1/offline/package/").status_code in (401, 403)
    english = client_for(users["resident"]).get("/api/v1/offline/package/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == "The offline package is for agency staff and field crews only."


def test_installable_app_files(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    body = manifest.json()
    assert body["lang"] == "id" and body["display"] == "standalone" and len(body["icons"]) == 2
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw["Service-Worker-Allowed"] == "/"
    text = sw.content.decode()
    assert "__SHELL__" not in text and '"/lapor/"' in text
    assert client.get("/offline/").status_code == 200


def test_any_utc_offset_python_reads_is_kept_and_one_out_of_range_is_a_clear_error(submit, users):
    # Found by the fuzzer: "+18:44" parses in Python, but PostgreSQL keeps offsets
    # only within +-15:59, so storing it unconverted was a 500.
    report = _report(submit, users)
    far = _action(report, kind="note", note="Catatan", taken_at="5541-10-04T02:29:25+18:44")
    [result] = _sync(users["pupr_crew"], far).json()["results"]
    assert result["outcome"] == "applied", result
    stored = ClientAction.objects.get(client_id=far["client_id"]).taken_at
    assert stored.isoformat() == "5541-10-03T07:45:25+00:00"
    before = ClientAction.objects.count()
    edge = _action(report, kind="note", note="Catatan", taken_at="0001-01-01T00:00:00+05:00")
    [result] = _sync(users["pupr_crew"], edge).json()["results"]
    assert result["outcome"] == "error" and result["code"] == "invalid_action"
    assert ClientAction.objects.count() == before
