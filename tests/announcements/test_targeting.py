"""Targeting on the real Kubu Raya boundaries: who an area reaches, and that
corrections and withdrawals reach the same people."""
import pytest
from django.core import mail

from announcements import services
from announcements.delivery import deliveries_run
from announcements.models import Announcement, Delivery, Message, Subscription

from .conftest import (ARANG_LIMBUNG, KAPUR, KEC_SUNGAI_RAYA, KUALA_DUA, LIMBUNG, RT1, RT2, SUNGAI_AMBANGAH,
                       SUNGAI_RAYA, TELUK_KAPUAS, body, client_for)

pytestmark = pytest.mark.django_db

# A line from a point inside Sungai Ambangah to one inside Limbung: it crosses
# Kuala Dua on the way and passes Arang Limbung and Teluk Kapuas without entering.
LINE_AMBANGAH_LIMBUNG = {"type": "LineString",
                         "coordinates": [[109.454029, -0.148837], [109.380179, -0.171433]]}


def _create(user, data, expect=201):
    r = client_for(user).post("/api/v1/announcements/", data, content_type="application/json")
    assert r.status_code == expect, r.content
    return r.json()


def _publish(user, public_id, expect=200, **data):
    r = client_for(user).post(f"/api/v1/announcements/{public_id}/publish/", data, content_type="application/json")
    assert r.status_code == expect, r.content
    return r.json()


def _desa(public_id) -> set[str]:
    return {c for c in Announcement.objects.get(public_id=public_id).reach_codes if c.count(".") == 3 and "/" not in c}


def _recipients(public_id, msg_type) -> set[str]:
    return {str(t) for t in Delivery.objects.filter(message__announcement__public_id=public_id,
                                                    message__msg_type=msg_type)
            .values_list("subscription__token", flat=True)}


def test_buffer_along_a_line_reaches_exactly_the_desa_it_crosses(speakers, subscribe):
    crossed = {d: subscribe(target="area", area_code=d) for d in (SUNGAI_AMBANGAH, KUALA_DUA, LIMBUNG)}
    passed = {d: subscribe(target="area", area_code=d) for d in (ARANG_LIMBUNG, TELUK_KAPUAS)}
    kecamatan = subscribe(target="area", area_code=KEC_SUNGAI_RAYA)
    # Circles: one 300 m from the line (reached), one 3 km away (not).
    near = subscribe(target="point", lon=109.417, lat=-0.1625, radius_m=500)
    far = subscribe(target="point", lon=109.417, lat=-0.190, radius_m=500)

    created = _create(speakers["bpbd"], body("warning", area={"buffer": {"geometry": LINE_AMBANGAH_LIMBUNG,
                                                                           "distance_m": 100}}))
    a = Announcement.objects.get(public_id=created["id"])
    assert _desa(created["id"]) == {SUNGAI_AMBANGAH, KUALA_DUA, LIMBUNG}
    assert a.geom.geom_type == "MultiPolygon" and a.geom.srid == 4326

    published = _publish(speakers["bpbd"], created["id"])
    assert published["properties"]["status"] == "published"
    got = _recipients(created["id"], "Alert")
    assert got == {s["token"] for s in (*crossed.values(), kecamatan, near)}
    assert not got & {s["token"] for s in (*passed.values(), far)}


def test_polygon_on_a_desa_boundary_reaches_both_sides_and_an_edge_only_one(speakers, subscribe):
    left, right, other = (subscribe(target="area", area_code=c) for c in (SUNGAI_RAYA, KAPUR, TELUK_KAPUAS))
    from django.db import connection
    with connection.cursor() as cursor:
        # A point on the shared edge of Sungai Raya and Kapur, and Sungai Raya's own boundary.
        # The middle of the longest stretch of their shared edge (the polygons'
        # own overlap is a few slivers since boundaries sit on the 7-decimal grid).
        cursor.execute("""SELECT ST_X(p), ST_Y(p), ST_AsGeoJSON(sr.geom) FROM
                            (SELECT ST_LineInterpolatePoint((
                                      SELECT d.geom FROM ST_Dump(ST_CollectionExtract(
                                        ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom)), 2)) AS d
                                       ORDER BY ST_Length(d.geom) DESC LIMIT 1), 0.5) AS p, a.geom
                               FROM geo_areaboundary a, geo_areaboundary b, geo_area x, geo_area y
                              WHERE a.area_id = x.id AND b.area_id = y.id AND x.code = %s AND y.code = %s) AS e
                            JOIN geo_areaboundary sr ON sr.geom = e.geom""", [SUNGAI_RAYA, KAPUR])
        lon, lat, own_boundary = cursor.fetchone()
    d = 0.003
    square = {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d],
                                                  [lon - d, lat + d], [lon - d, lat - d]]]}
    a = _create(speakers["camat"], body(area={"polygon": square}))
    assert _desa(a["id"]) == {SUNGAI_RAYA, KAPUR}
    _publish(speakers["camat"], a["id"])
    assert _recipients(a["id"], "Alert") == {left["token"], right["token"]}

    # Exactly Sungai Raya's boundary: it shares edges with Kapur and others but
    # overlaps none of them, so only Sungai Raya is reached.
    import json
    own = json.loads(own_boundary)
    if sum(len(r) for p in own["coordinates"] for r in p) <= 2000:
        b = _create(speakers["desa"], body(area={"polygon": own}))
        assert _desa(b["id"]) == {SUNGAI_RAYA}
        _publish(speakers["desa"], b["id"])
        assert _recipients(b["id"], "Alert") == {left["token"]}
    assert other["token"] not in _recipients(a["id"], "Alert")


def test_rt_announcement_reaches_only_that_rts_subscribers(speakers, subscribe):
    rt1 = subscribe(target="area", area_code=RT1)
    rt2 = subscribe(target="area", area_code=RT2)
    desa = subscribe(target="area", area_code=SUNGAI_RAYA)
    point = subscribe(target="point", lon=109.3724, lat=-0.0715, radius_m=2000)

    # The ketua RT speaks for the RT only, not for the desa.
    r = client_for(speakers["rt"]).post("/api/v1/announcements/", body(area={"codes": [SUNGAI_RAYA]}),
                                        content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "area_not_yours"
    a = _create(speakers["rt"], body(title_id="Kerja bakti Minggu pagi", area={"codes": [RT1]}))
    _publish(speakers["rt"], a["id"])
    assert _recipients(a["id"], "Alert") == {rt1["token"]}
    # A desa-wide announcement reaches the desa's RT subscribers too.
    b = _create(speakers["desa"], body(title_id="Jadwal posyandu", area={"codes": [SUNGAI_RAYA]}))
    _publish(speakers["desa"], b["id"])
    assert _recipients(b["id"], "Alert") == {rt1["token"], rt2["token"], desa["token"], point["token"]}


def test_correction_and_withdrawal_reach_everyone_the_original_reached(speakers, subscribe, clock):
    ambangah = subscribe(target="area", area_code=SUNGAI_AMBANGAH)
    kuala_dua = subscribe(target="area", area_code=KUALA_DUA)
    limbung = subscribe(target="area", area_code=LIMBUNG)
    a = _create(speakers["pupr"], body("disruption", title_id="Penutupan jalan",
                                       area={"buffer": {"geometry": LINE_AMBANGAH_LIMBUNG, "distance_m": 100}}))
    pk = Announcement.objects.get(public_id=a["id"]).id
    # Through the services with the clock passed in (the API uses the time of the request).
    services.announcement_publish(announcement_id=pk, user=speakers["pupr"], now=clock)
    original = _recipients(a["id"], "Alert")
    assert original == {ambangah["token"], kuala_dua["token"], limbung["token"]}
    assert deliveries_run(now=clock)["sent"] == 3
    assert len(mail.outbox) == 3
    assert all("/pengumuman/berhenti/" in m.body for m in mail.outbox)

    # The correction shrinks the area to Limbung: the people reached before still hear of it.
    services.announcement_correct(announcement_id=pk, user=speakers["pupr"], data={"area": {"codes": [LIMBUNG]}},
                                  note="Hanya ruas di Limbung", now=clock)
    assert _recipients(a["id"], "Update") == original
    # One subscriber leaves before the withdrawal; the row is planned and skipped, never sent.
    assert client_for(None).delete(f"/api/v1/subscriptions/{kuala_dua['token']}/").status_code == 204
    withdrawn = services.announcement_withdraw(announcement_id=pk, user=speakers["pupr"], note="Jalan dibuka",
                                               now=clock)
    assert withdrawn.status == "withdrawn"
    assert _recipients(a["id"], "Cancel") == original
    mail.outbox.clear()
    counts = deliveries_run(now=clock)
    assert counts["sent"] == 4 and counts["skipped"] == 2   # 2 updates + 2 cancels sent; Kuala Dua skipped twice
    assert sum("DICABUT" in m.subject for m in mail.outbox) == 2
    assert sum("KOREKSI" in m.subject for m in mail.outbox) == 2
    # Running again sends nothing more: one delivery per message and subscription.
    assert deliveries_run(now=clock)["sent"] == 0
    assert Delivery.objects.filter(message__announcement__public_id=a["id"]).count() == 9


def test_matching_is_one_statement(speakers, subscribe, django_assert_max_num_queries):
    for code in (SUNGAI_AMBANGAH, KUALA_DUA):
        subscribe(target="area", area_code=code)
    a = _create(speakers["bpbd"], body("warning", area={"buffer": {"geometry": LINE_AMBANGAH_LIMBUNG,
                                                                     "distance_m": 100}}))
    announcement = Announcement.objects.get(public_id=a["id"])
    from django.utils import timezone
    message = Message.objects.create(announcement=announcement, msg_type="Alert", sequence=1, sent_at=timezone.now())
    with django_assert_max_num_queries(1):
        assert services.deliveries_plan(message=message, now=timezone.now()) == 2
