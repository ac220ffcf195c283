"""Issue 21: the resident's own "for my place" list as a page
(/pengumuman/tempat-saya/), the same selection as /api/v1/announcements/mine/:
announcements in force for the desa and circles the resident follows, and
none elsewhere."""
import pytest
from django.utils import timezone

from announcements import services

from .conftest import SUNGAI_RAYA, body, client_for

pytestmark = pytest.mark.django_db

KAPUR = "61.12.01.2008"


def _published(user, title, area):
    # Published at the request's "now": the page shows what is in force then.
    now = timezone.now()
    a = services.announcement_create(user=user, data=body(title_id=title, area=area, now=now))
    return services.announcement_publish(announcement_id=a.id, user=user, now=now)


def test_anonymous_is_sent_to_sign_in(client, kubu_raya):
    response = client.get("/pengumuman/tempat-saya/")
    assert response.status_code == 302 and response["Location"].startswith("/masuk/?next=")


def test_the_list_holds_the_followed_places_only(speakers, subscribe, make_user):
    _published(speakers["desa"], "Jadwal posyandu Desember", {"codes": [SUNGAI_RAYA]})
    _published(speakers["camat"], "Gangguan air di Kapur", {"codes": [KAPUR]})
    resident = client_for(speakers["warga"])
    empty = resident.get("/pengumuman/tempat-saya/").content.decode()
    assert "Jadwal posyandu" not in empty and "Ikuti tempat lewat peta" in empty
    subscribe(target="area", area_code=SUNGAI_RAYA)
    page = resident.get("/pengumuman/tempat-saya/")
    html = page.content.decode()
    assert page.status_code == 200 and "Jadwal posyandu Desember" in html and "Gangguan air di Kapur" not in html
    api = [f["properties"]["title"] for f in resident.get("/api/v1/announcements/mine/").json()["features"]]
    assert api == ["Jadwal posyandu Desember"]
    # A circle around a point in Kapur adds Kapur's announcement.
    from geo.selectors import desa_centroids
    lon, lat = {code: (x, y) for code, x, y in desa_centroids()}[KAPUR]
    subscribe(target="point", lon=lon, lat=lat, radius_m=300)
    html = resident.get("/pengumuman/tempat-saya/").content.decode()
    assert "Jadwal posyandu Desember" in html and "Gangguan air di Kapur" in html
    # Another resident follows nothing: nothing listed.
    other = client_for(make_user("warga_lain")).get("/pengumuman/tempat-saya/").content.decode()
    assert "Jadwal posyandu" not in other and "Gangguan air" not in other
    english = resident.get("/pengumuman/tempat-saya/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Announcements for my places" in english
    # The public list links it for a signed-in user.
    assert 'href="/pengumuman/tempat-saya/"' in resident.get("/pengumuman/").content.decode()
