"""Duplicates (candidates, merge, supporters) and the field crews' nearby
search ordered by true (geodesic) distance."""
import uuid

import pytest
from django.core import mail
from pyproj import Geod

from common.publication import PUBLIC_GRID_DEG
from reports.models import Report
from reports.services import report_submit

from .conftest import SUNGAI_RAYA, client_for

GEOD = Geod(ellps="WGS84")


def _offset(lon, lat, azimuth, metres):
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return x, y


def test_duplicates_are_found_on_submission_and_by_candidates(submit, users, desa_point):
    lon, lat = desa_point(SUNGAI_RAYA)
    first = submit(users["resident"], point=(lon, lat)).json()
    near = _offset(lon, lat, 90, 40)
    second = submit(users["resident2"], point=near).json()
    assert [d["id"] for d in second["duplicates"]] == [first["id"]]
    # The distance is to the first report's PUBLIC point (snapped to the
    # public grid), not to where it was captured (issue 16).
    g = PUBLIC_GRID_DEG
    public = (round(lon / g) * g, round(lat / g) * g)
    expected = GEOD.inv(near[0], near[1], *public)[2]
    assert abs(second["duplicates"][0]["distance_m"] - expected) < 0.5
    far = submit(users["resident2"], point=_offset(lon, lat, 90, 400)).json()
    assert far["duplicates"] == []  # road damage radius is 100 m
    other_category = submit(users["resident2"], point=near, category="street-light", photo=None).json()
    assert other_category["duplicates"] == []
    found = client_for(None).get("/api/v1/reports/candidates",
                                 {"category": "road-damage", "lon": near[0], "lat": near[1]}).json()
    # Nearest PUBLIC point first: the order of the two is that of their snapped points.
    assert {c["id"] for c in found} >= {second["id"], first["id"]}
    assert [c["distance_m"] for c in found] == sorted(c["distance_m"] for c in found)


def test_restricted_reports_never_come_back_as_candidates(submit, users, desa_point):
    lon, lat = desa_point(SUNGAI_RAYA)
    submit(users["resident"], category="disease-outbreak", photo=None, point=(lon, lat))
    again = submit(users["resident2"], category="disease-outbreak", photo=None, point=(lon, lat)).json()
    assert again["duplicates"] == []
    assert client_for(None).get("/api/v1/reports/candidates",
                                {"category": "disease-outbreak", "lon": lon, "lat": lat}).json() == []


def test_merge_makes_a_master_counts_supporters_and_informs_the_reporter(
        submit, users, desa_point, django_capture_on_commit_callbacks):
    lon, lat = desa_point(SUNGAI_RAYA)
    master = submit(users["resident"], point=(lon, lat)).json()["id"]
    duplicate = submit(users["resident2"], point=_offset(lon, lat, 0, 20)).json()["id"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["coordinator"]).post(f"/api/v1/reports/{duplicate}/transitions/",
                                                         {"to": "merged", "merge_into": master})
    assert response.status_code == 200, response.content
    assert Report.objects.get(id=master).supporters_count == 1
    merged = Report.objects.get(id=duplicate)
    assert merged.status == "merged" and str(merged.merged_into_id) == master
    assert any("digabung" in m.subject and m.to == ["warga_dua@example.org"] for m in mail.outbox)
    # A merged report is not public any more and cannot be a merge target.
    assert client_for(None).get(f"/open311/v2/requests/{duplicate}.json").status_code == 404
    third = submit(users["resident2"], point=(lon, lat)).json()["id"]
    bad = client_for(users["coordinator"]).post(f"/api/v1/reports/{third}/transitions/",
                                                {"to": "merged", "merge_into": duplicate})
    assert bad.status_code == 400 and bad.json()["code"] == "merge_target_invalid"
    # A resident supports instead of filing again, once.
    for _ in range(2):
        body = client_for(users["resident2"]).post(f"/api/v1/reports/{master}/support/").json()
    assert body["supporters_count"] == 2


@pytest.fixture
def ring(taxonomy, desa_point):
    """PUPR reports at known geodesic offsets from the Sungai Raya desa point."""
    lon, lat = desa_point(SUNGAI_RAYA)
    offsets = {"n1000": (0, 1000), "e1004": (90, 1004), "s300": (180, 300), "w50": (270, 50),
               "ne1900": (45, 1900), "far2600": (200, 2600)}
    ids = {}
    for name, (azimuth, metres) in offsets.items():
        x, y = _offset(lon, lat, azimuth, metres)
        ids[name] = str(report_submit(report_id=uuid.uuid4(), category_code="street-light", lon=x, lat=y,
                                      photo_optional=True).report.id)
    # Another agency's report right at the centre must not show up.
    report_submit(report_id=uuid.uuid4(), category_code="flood", lon=lon, lat=lat)
    return (lon, lat), ids


def test_nearby_is_ordered_by_true_distance_with_metres(users, make_user, ring):
    from accounts.models import Role
    (lon, lat), ids = ring
    crew = make_user("kru_dishub", Role.FIELD_CREW, "dishub")
    body = client_for(crew).get("/api/v1/reports/nearby", {"lon": lon, "lat": lat, "radius_m": 2000}).json()
    order = [r["id"] for r in body["results"]]
    # 1,000 m north is nearer than 1,004 m east although its latitude offset in
    # degrees (0.00904) exceeds the longitude offset (0.00902): degrees lie.
    assert order == [ids["w50"], ids["s300"], ids["n1000"], ids["e1004"], ids["ne1900"]]
    expected = [50, 300, 1000, 1004, 1900]
    for row, metres in zip(body["results"], expected):
        assert abs(row["distance_m"] - metres) < 0.5
    assert ids["far2600"] not in order
    # Status filter and another agency's crew.
    Report.objects.filter(id=ids["s300"]).update(status="in_progress")
    only = client_for(crew).get("/api/v1/reports/nearby",
                                {"lon": lon, "lat": lat, "radius_m": 2000, "status": "in_progress"}).json()
    assert [r["id"] for r in only["results"]] == [ids["s300"]]
    pupr = client_for(users["pupr_crew"]).get("/api/v1/reports/nearby", {"lon": lon, "lat": lat}).json()
    assert pupr["results"] == []
    bad = client_for(crew).get("/api/v1/reports/nearby", {"lon": lon, "lat": lat, "status": "lost"})
    assert bad.status_code == 400


def test_nearby_merges_the_agencies_of_a_crew_and_filters_closed_statuses(users, make_user, ring, desa_point):
    from accounts.models import Role
    from accounts.services import membership_grant
    from geo.models import Agency
    (lon, lat), ids = ring
    crew = make_user("kru_dua_instansi", Role.FIELD_CREW, "dishub")
    membership_grant(user=crew, role=Role.FIELD_CREW, agency=Agency.objects.get(code="bpbd"))
    flood = Report.objects.get(category__code="flood", agency__code="bpbd")
    body = client_for(crew).get("/api/v1/reports/nearby", {"lon": lon, "lat": lat, "radius_m": 2000}).json()
    order = [r["id"] for r in body["results"]]
    # The BPBD flood report at the centre comes first, then Dishub's by distance.
    assert order == [str(flood.id), ids["w50"], ids["s300"], ids["n1000"], ids["e1004"], ids["ne1900"]]
    assert body["results"][0]["distance_m"] == 0 and body["results"][0]["category"] == "flood"
    # Closed reports leave the default list and come back only when asked for.
    Report.objects.filter(id=ids["w50"]).update(status="resolved", resolved_at=flood.created_at)
    default = client_for(crew).get("/api/v1/reports/nearby", {"lon": lon, "lat": lat}).json()
    assert ids["w50"] not in [r["id"] for r in default["results"]]
    resolved = client_for(crew).get("/api/v1/reports/nearby",
                                    {"lon": lon, "lat": lat, "status": "resolved,in_progress"}).json()
    assert [r["id"] for r in resolved["results"]] == [ids["w50"]]
    limited = client_for(crew).get("/api/v1/reports/nearby", {"lon": lon, "lat": lat, "limit": 2}).json()
    assert [r["id"] for r in limited["results"]] == [str(flood.id), ids["s300"]]


def test_nearby_reads_only_active_agency_memberships(users, make_user, ring):
    """The agencies are read in the nearby statement itself: an expired
    membership of the reports' agency shows nothing (403 without another),
    and a coordinator (no agency role) is refused."""
    import datetime

    from accounts.models import Membership, Role
    (lon, lat), ids = ring
    crew = make_user("kru_lama", Role.FIELD_CREW, "dishub")
    here = {"lon": lon, "lat": lat, "radius_m": 2000}
    assert len(client_for(crew).get("/api/v1/reports/nearby", here).json()["results"]) == 5
    Membership.objects.filter(user=crew).update(valid_to=datetime.date.today() - datetime.timedelta(days=1))
    expired = client_for(crew).get("/api/v1/reports/nearby", here)
    assert expired.status_code == 403 and expired.json()["code"] == "permission_denied"
    coordinator = make_user("koordinator_dekat", Role.COORDINATOR)
    assert client_for(coordinator).get("/api/v1/reports/nearby", here).status_code == 403
