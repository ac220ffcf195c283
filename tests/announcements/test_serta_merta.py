"""Informasi serta-merta: a verified report in a serta_merta category offers
the responsible agency a prefilled warning (no personal data, public
precision); publishing it is one action."""
import io
import uuid

import pytest
from PIL import Image

from accounts.models import Role
from announcements.models import Announcement
from reports.services import categories_seed

from .conftest import SUNGAI_RAYA, client_for

pytestmark = pytest.mark.django_db
SECRET = "Rumah Ibu Siti Aminah nomor 17, telepon 081298765432"


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 80, 200)).save(out, format="JPEG")
    out.seek(0)
    out.name = "foto.jpg"
    return out


def _report(category, lon, lat):
    r = client_for(None).post("/api/v1/reports/", {"id": str(uuid.uuid4()), "category": category, "lon": lon,
                                                    "lat": lat, "description": SECRET, "photo": _jpeg()})
    assert r.status_code == 201, r.content
    return r.json()


def _verify(user, report_id, capture):
    with capture(execute=True):
        r = client_for(user).post(f"/api/v1/reports/{report_id}/transitions/", {"to": "verified"},
                                  content_type="application/json")
    assert r.status_code in (200, 201), r.content


def test_verified_flood_offers_bpbd_a_warning_published_in_one_action(speakers, make_user,
                                                                       django_capture_on_commit_callbacks):
    categories_seed()
    coordinator = make_user("koordinator", Role.COORDINATOR, "diskominfo")
    report = _report("flood", 109.3724, -0.0715)
    _verify(coordinator, report["id"], django_capture_on_commit_callbacks)

    offers = client_for(speakers["bpbd"]).get("/api/v1/announcements/offers/").json()["features"]
    assert len(offers) == 1
    offer = offers[0]
    text = str(offer)
    assert SECRET not in text and "081298765432" not in text and "Siti" not in text
    assert offer["properties"]["kind"] == "warning" and offer["properties"]["status"] == "draft"
    a = Announcement.objects.get(public_id=offer["id"])
    assert a.target_kind == "buffer" and a.target_buffer_m == 1000 and SUNGAI_RAYA in a.reach_codes
    # Nobody else sees the offer; verifying again does not make a second one.
    assert client_for(speakers["pupr"]).get("/api/v1/announcements/offers/").json()["features"] == []
    assert client_for(None).get(f"/api/v1/announcements/{offer['id']}/").status_code == 404

    r = client_for(speakers["bpbd"]).post(f"/api/v1/announcements/{offer['id']}/publish/", {},
                                          content_type="application/json")
    assert r.status_code == 200 and r.json()["properties"]["status"] == "published"
    assert client_for(None).get(f"/pengumuman/cap/kuburaya-{offer['id']}-1.xml").status_code == 200


def test_restricted_outbreak_offers_a_desa_level_warning(speakers, make_user, django_capture_on_commit_callbacks):
    categories_seed()
    dinkes = make_user("staf_dinkes", Role.AGENCY_STAFF, "dinkes")
    report = _report("disease-outbreak", 109.3724, -0.0715)
    from reports.models import Report
    rep = Report.objects.get(tracking_code=report["tracking_code"])
    _verify(dinkes if rep.agency and rep.agency.code == "dinkes" else make_user("k", Role.COORDINATOR, "diskominfo"),
            rep.id, django_capture_on_commit_callbacks)
    a = Announcement.objects.get(source_report=rep)
    # P3: never the point; the whole desa.
    assert a.target_kind == "codes" and a.target_codes == [rep.desa.code] and a.target_source is None
    assert SECRET not in a.body_id


def test_a_category_without_the_flag_offers_nothing(speakers, make_user, django_capture_on_commit_callbacks):
    categories_seed()
    coordinator = make_user("koordinator", Role.COORDINATOR, "diskominfo")
    report = _report("road-damage", 109.3724, -0.0715)
    _verify(coordinator, report["id"], django_capture_on_commit_callbacks)
    assert Announcement.objects.count() == 0
