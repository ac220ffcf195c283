"""The workspaces of every role (issue 20): one look, per-role landing, the
agency queue, the report page, near me. Against real PostGIS; dates are fixed
far in the past or future so nothing depends on today's date."""
import datetime
import re
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Role
from reports.demo import DEMO_PASSWORD, DEMO_USERS, demo_users_create
from reports.models import PersonalDataAccess, Report
from reports.services import report_submit
from tests.reports.conftest import (SUNGAI_KAKAP, SUNGAI_RAYA, desa_point, jpeg_bytes, make_user,  # noqa: F401
                                    taxonomy, users)
from portal import workspace

PAST = datetime.date(2020, 1, 6)
FUTURE = datetime.date(2099, 1, 5)


def _report(desa_point, *, desa=SUNGAI_RAYA, category="road-damage", reporter=None, created=None,
            deadline=FUTURE, status=None, description="Jalan berlubang besar", photo=True):
    lon, lat = desa_point(desa)
    upload = None
    if photo:
        upload = SimpleUploadedFile("foto.jpg", jpeg_bytes((800, 600)), content_type="image/jpeg")
    result = report_submit(report_id=uuid.uuid4(), category_code=category, lon=lon, lat=lat,
                           description=description, reporter=reporter, photo=upload)
    report = Report.objects.get(id=result.report.id)
    fields = {"deadline": deadline}
    if created:
        fields["created_at"] = created
    if status:
        fields["status"] = status
        if status == "resolved":
            fields["resolved_at"] = created or report.created_at
    Report.objects.filter(id=report.id).update(**fields)
    report.refresh_from_db()
    return report


def _login(username, password="rahasia-sekali-123") -> tuple[Client, object]:
    client = Client()
    response = client.post("/masuk/", {"username": username, "password": password})
    return client, response


# --- One look, sign-in, landing -----------------------------------------------------

EXPECTED_LANDING = {
    "koordinator": "/kerja/", "staf_dinkes": "/kerja/", "staf_pupr": "/kerja/", "kepala_pupr": "/kerja/",
    "staf_bpbd": "/kerja/", "staf_pkm_sungai_durian": "/kerja/", "kru_pupr": "/kerja/dekat/",
    "ppid": "/ppid/petugas/", "ppid_pupr": "/ppid/petugas/", "atasan_ppid": "/ppid/petugas/",
    "walidata": "/data/opd/", "produsen_pupr": "/data/opd/", "produsen_dinkes": "/data/opd/",
    "produsen_bpbd": "/data/opd/", "pemohon": "/ppid/permohonan/", "perencana": "/perencana/",
    "dpo": "/kerja/dpo/", "verifikator_umkm": "/kerja/umkm/",
}


def test_every_demo_account_lands_on_a_working_page_with_nav_and_sign_out(kubu_raya):
    demo_users_create()
    assert len(DEMO_USERS) >= 20
    for username, role, _agency, _description in DEMO_USERS:
        client, response = _login(username, DEMO_PASSWORD)
        assert response.status_code == 302, username
        landing = response["Location"]
        if username in EXPECTED_LANDING:
            assert landing == EXPECTED_LANDING[username], (username, landing)
        page = client.get(landing, follow=True)
        assert page.status_code == 200, (username, landing, page.status_code)
        html = page.content.decode()
        assert 'id="sign-out"' in html and 'class="site-header"' in html, username
        assert ('href="/kerja/"' in html) == (role in (Role.COORDINATOR, Role.AGENCY_STAFF, Role.AGENCY_HEAD)), username
        # the nav shows only what the role can use
        has_ppid_nav = 'data-nav="ppid-petugas"' in html
        assert has_ppid_nav == (role in (Role.PPID_OFFICER, Role.PPID_SUPERIOR)), username


def test_wrong_password_names_the_field_once_and_right_one_lands(make_user):
    make_user("pupr9", Role.AGENCY_STAFF, "pupr")
    _client, wrong = _login("pupr9", "salah-sandi-123")
    html = wrong.content.decode()
    assert wrong.status_code == 200 and "Nama pengguna atau kata sandi salah" in html
    assert "nama pengguna nama pengguna" not in html.lower()
    _client, right = _login("pupr9")
    assert right["Location"] == "/kerja/"


def test_ppid_data_and_information_pages_share_the_portal_look(client, kubu_raya, make_user):
    for path in ("/data/", "/informasi/", "/ppid/", "/ppid/daftar/"):
        html = client.get(path).content.decode()
        assert 'class="site-header"' in html and 'id="lang-select"' in html and 'class="site-footer"' in html, path
        assert "portal/css/portal.css" in html, path
    assert client.get("/ppid/masuk/?next=/ppid/petugas/")["Location"] == "/masuk/?next=/ppid/petugas/"


def test_a_resident_or_planner_opening_kerja_is_sent_to_their_own_page(users):
    for user in (users["resident"], users["planner"]):
        client = Client()
        client.force_login(user)
        response = client.get("/kerja/")
        assert response.status_code == 302 and response["Location"] != "/kerja/"
        assert client.get(response["Location"]).status_code == 200


# --- The queue ---------------------------------------------------------------------------

def test_queue_shows_open_work_overdue_first_then_newest_and_pages_through_all(users, desa_point, monkeypatch):
    tz = datetime.timezone.utc
    closed = _report(desa_point, status="resolved", created=datetime.datetime(2026, 3, 1, tzinfo=tz))
    overdue_old = _report(desa_point, deadline=PAST, created=datetime.datetime(2019, 12, 1, tzinfo=tz))
    overdue_new = _report(desa_point, deadline=PAST + datetime.timedelta(days=3),
                          created=datetime.datetime(2019, 12, 20, tzinfo=tz))
    fresh = [_report(desa_point, created=datetime.datetime(2026, 5, day, tzinfo=tz)) for day in (1, 2, 3, 4, 5)]
    other_agency = _report(desa_point, category="flood")   # BPBD's, not PUPR's
    client = Client()
    client.force_login(users["pupr"])
    html = client.get("/kerja/").content.decode()
    codes = re.findall(r'<tr data-code="([^"]+)"', html)
    expected = [overdue_old.tracking_code, overdue_new.tracking_code] + [r.tracking_code for r in reversed(fresh)]
    assert codes == expected
    assert closed.tracking_code not in codes and other_agency.tracking_code not in codes
    assert html.count('class="is-overdue"') == 2
    # counts per status, and the same reports as phone cards
    assert re.search(r'data-status="received"[^>]*>[^<]*<strong>7</strong>', html)
    assert re.search(r'data-status="resolved"[^>]*>[^<]*<strong>1</strong>', html)
    assert re.findall(r'<li data-code="([^"]+)"', html) == expected

    # keyset pages of 3: every open report once, in the same order
    monkeypatch.setattr(workspace, "PAGE_SIZE", 3)
    seen, url = [], "/kerja/"
    while url:
        page = client.get(url).content.decode()
        seen += re.findall(r'<tr data-code="([^"]+)"', page)
        nxt = re.search(r'href="(\?[^"]*)" id="next-page"', page)
        url = "/kerja/" + nxt.group(1).replace("&amp;", "&") if nxt else None
    assert seen == expected

    # closed ones on request; "all" includes them
    resolved = client.get("/kerja/?status=resolved").content.decode()
    assert re.findall(r'<tr data-code="([^"]+)"', resolved) == [closed.tracking_code]
    # a broken cursor shows the first page, not an error
    assert client.get("/kerja/?after=bm9wZQ").status_code == 200


def test_queue_search_by_tracking_code_desa_and_text(users, desa_point):
    a = _report(desa_point, description="Gorong-gorong tersumbat sampah")
    b = _report(desa_point, desa=SUNGAI_KAKAP, description="Jembatan kayu patah")
    client = Client()
    client.force_login(users["pupr"])

    def codes(query):
        return re.findall(r'<tr data-code="([^"]+)"', client.get("/kerja/", {"q": query}).content.decode())

    assert codes(a.tracking_code) == [a.tracking_code]
    assert codes(a.tracking_code.lower()) == [a.tracking_code]
    assert codes("gorong") == [a.tracking_code]
    assert codes("Sungai Kakap") == [b.tracking_code]
    assert codes("KR-ZZZZ-ZZZZ") == []
    desa_only = re.findall(r'<tr data-code="([^"]+)"', client.get("/kerja/", {"desa": SUNGAI_KAKAP}).content.decode())
    assert desa_only == [b.tracking_code]


def test_queue_map_view_carries_the_points_of_the_page(users, desa_point):
    r = _report(desa_point)
    client = Client()
    client.force_login(users["pupr"])
    html = client.get("/kerja/?view=map").content.decode()
    assert 'id="queue-map"' in html and r.tracking_code in html and "leaflet.js" in html


def test_coordinator_sees_the_triage_queue(users, desa_point):
    routed = _report(desa_point)
    untriaged = _report(desa_point)
    Report.objects.filter(id=untriaged.id).update(agency=None)
    client = Client()
    client.force_login(users["coordinator"])
    triage = re.findall(r'<tr data-code="([^"]+)"', client.get("/kerja/?triage=1").content.decode())
    assert untriaged.tracking_code in triage and routed.tracking_code not in triage


# --- The report page -----------------------------------------------------------------------------

def test_report_page_has_photos_map_directions_timeline_and_only_valid_transitions(users, desa_point):
    r = _report(desa_point, reporter=users["resident"])
    client = Client()
    client.force_login(users["pupr"])
    html = client.get(f"/kerja/laporan/{r.id}/").content.decode()
    targets = re.findall(r'<option value="(\w+)">', html.split('id="to"')[1].split("</select>")[0])
    assert targets == ["verified", "dispatched", "not_our_authority"]   # PUPR's allowed moves from "received"
    photo = re.search(r'<img src="([^"]+)"[^>]*class="submission-photo"', html).group(1)
    assert client.get(photo).status_code == 200 and Client().get(photo).status_code in (401, 403)
    lon, lat = desa_point(SUNGAI_RAYA)
    assert f"geo:{lat:.6f},{lon:.6f}" in html and "google.com/maps/dir" in html
    assert 'id="report-map"' in html and 'id="timeline"' in html and "Laporan diterima" in html
    assert "Jalan berlubang besar" in html

    # the crew sees only their two moves
    crew = Client()
    crew.force_login(users["pupr_crew"])
    Report.objects.filter(id=r.id).update(status="dispatched")
    crew_html = crew.get(f"/kerja/laporan/{r.id}/").content.decode()
    assert re.findall(r'<option value="(\w+)">', crew_html.split('id="to"')[1].split("</select>")[0]) == \
        ["in_progress", "resolved"]
    # another agency does not see it at all
    other = Client()
    other.force_login(users["bpbd"])
    assert other.get(f"/kerja/laporan/{r.id}/").status_code == 404


def test_reporter_contact_is_shown_only_with_a_reason_and_every_read_is_logged(users, desa_point):
    r = _report(desa_point, reporter=users["resident"])
    client = Client()
    client.force_login(users["pupr"])
    page = client.get(f"/kerja/laporan/{r.id}/").content.decode()
    assert 'id="contact-form"' in page and users["resident"].email not in page
    refused = client.post(f"/kerja/laporan/{r.id}/", {"action": "contact", "reason": ""})
    assert refused.status_code == 400 and not PersonalDataAccess.objects.exists()
    shown = client.post(f"/kerja/laporan/{r.id}/", {"action": "contact", "reason": "Konfirmasi lokasi lubang"})
    assert shown.status_code == 200 and users["resident"].email in shown.content.decode()
    log = PersonalDataAccess.objects.get()
    assert log.user == users["pupr"] and log.reason == "Konfirmasi lokasi lubang" and log.report_id == r.id


def test_a_forbidden_transition_answers_in_words_in_both_languages(users, desa_point):
    r = _report(desa_point)
    client = Client()
    client.force_login(users["pupr"])
    body = client.post(f"/api/v1/reports/{r.id}/transitions/", {"to": "resolved", "note": "x"}).json()
    assert body["code"] == "forbidden_transition" and "Diterima" in body["message"] and "Selesai" in body["message"]
    assert "received" not in body["message"]
    en = client.post(f"/api/v1/reports/{r.id}/transitions/", {"to": "resolved", "note": "x"},
                     HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["message"] == "Changing the status from Received to Resolved is not allowed.", en["message"]


# --- Near me -------------------------------------------------------------------------------------------

def test_near_me_lists_the_crews_open_reports_nearest_first(users, desa_point):
    near = _report(desa_point, desa=SUNGAI_RAYA)
    far = _report(desa_point, desa=SUNGAI_KAKAP)
    _report(desa_point, desa=SUNGAI_RAYA, status="resolved")
    lon, lat = desa_point(SUNGAI_RAYA)
    client = Client()
    client.force_login(users["pupr_crew"])
    html = client.get("/kerja/dekat/", {"lat": lat + 0.001, "lon": lon, "r": 50000}).content.decode()
    assert re.findall(r'<li data-code="([^"]+)"', html) == [near.tracking_code, far.tracking_code]
    assert html.count("geo:") >= 2 and 'id="near-map"' in html
    # without a position: the page asks the phone, lists nothing; a bad one is ignored
    assert 'id="locate"' in client.get("/kerja/dekat/").content.decode()
    assert client.get("/kerja/dekat/", {"lat": "abc", "lon": "999"}).status_code == 200


def test_an_unknown_page_is_the_portals_own_404_not_a_debug_page(client, kubu_raya, settings):
    assert settings.DEBUG is False
    response = client.get("/tidak-ada-halaman-ini/")
    html = response.content.decode()
    assert response.status_code == 404 and 'id="error-page"' in html and 'class="site-header"' in html
    assert "URLconf" not in html and "tidak-ada-halaman-ini" not in html   # the typed path is not echoed


# --- Dashboard: UMKM section and hatch patterns -------------------------------------------------

def test_dashboard_umkm_section_counts_exactly_the_public_businesses(client, kubu_raya):
    """The UMKM section shows data: the public businesses (verified, listed
    with consent, active) by sector and desa, exact (each is a row of the
    public listing, so a suppressed count would hide nothing)."""
    from businesses.models import Business
    from businesses.services import business_create
    from geo.selectors import desa_centroids
    from portal import services

    lon, lat = {code: (x, y) for code, x, y in desa_centroids()}[SUNGAI_RAYA]
    made = [business_create(name=f"Kue Bingke {i}", lon=lon + i * 0.0005, lat=lat, kbli_codes=["10794"])
            for i in range(6)]
    made += [business_create(name=f"Toko {i}", lon=lon, lat=lat + i * 0.0005, kbli_codes=["47111"]) for i in range(2)]
    # Only verified businesses are public (issue 16); pending and rejected ones are not counted.
    Business.objects.filter(id__in=[b.id for b in made]).update(verification_status="verified", listing_public=True)
    business_create(name="Menunggu", lon=lon, lat=lat, kbli_codes=["10794"])
    rejected = business_create(name="Ditolak", lon=lon, lat=lat, kbli_codes=["10794"])
    Business.objects.filter(id=rejected.id).update(verification_status="rejected", listing_public=True)
    unlisted = business_create(name="Tanpa Izin Tampil", lon=lon, lat=lat, kbli_codes=["10794"])
    Business.objects.filter(id=unlisted.id).update(verification_status="verified")   # no listing consent
    sectors = {b.sector for b in made}
    assert len(sectors) == 2
    services.dashboard_snapshot_refresh(wait=True)
    html = client.get("/dasbor/").content.decode()
    section = html.split("<h2>UMKM</h2>")[1].split("</section>")[0]
    assert "Belum ada UMKM" not in section
    assert re.search(r'id="umkm-total">[^<]*<strong>8</strong>', section)   # the rejected one is not public
    bars = dict(re.findall(r'text-anchor="end">([^<]+)</text><rect[^>]*/><text[^>]*>([^<]+)</text>', section))
    assert bars == {"Pangan olahan": "6", "Perdagangan": "2"}, bars
    assert re.search(r"<th>Sungai Raya</th><td class=\"num\">8</td>", section)


def test_dashboard_svgs_each_have_their_own_hatch_pattern_and_the_desa_map_a_legend(client, kubu_raya):
    from portal import services

    services.dashboard_snapshot_refresh(wait=True)
    html = client.get("/dasbor/").content.decode()
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    ids = [re.search(r'<pattern id="([^"]+)"', svg).group(1) for svg in svgs if "<pattern" in svg]
    assert len(ids) >= 2 and len(set(ids)) == len(ids)
    for svg in svgs:
        own = set(re.findall(r'<pattern id="([^"]+)"', svg))
        assert set(re.findall(r'url\(#([^)]+)\)', svg)) <= own
    assert 'id="desa-map-legend"' in html


def test_printable_dashboard_map_is_rendered_by_folium_with_the_vendored_leaflet(client, kubu_raya):
    from portal import services

    services.dashboard_snapshot_refresh(wait=True)
    html = client.get("/dasbor/cetak/").content.decode()
    assert 'id="print-map"' in html and "<iframe" in html
    assert "portal/vendor/leaflet/leaflet.js" in html and "cdn.jsdelivr" not in html and "code.jquery" not in html
    assert 'id="print-map"' not in client.get("/dasbor/").content.decode()


def test_dpo_reads_the_access_log_and_the_verifier_verifies_a_business(users, desa_point, make_user):
    from businesses.models import Business
    from businesses.services import business_create

    r = _report(desa_point, reporter=users["resident"])
    pupr = Client()
    pupr.force_login(users["pupr"])
    pupr.post(f"/kerja/laporan/{r.id}/", {"action": "contact", "reason": "Konfirmasi alamat"})
    dpo = Client()
    dpo.force_login(users["dpo"])
    html = dpo.get("/kerja/dpo/").content.decode()
    log = html.split('id="access-log"')[1]
    assert r.tracking_code in log and "staf_pupr" in log and "Konfirmasi alamat" in log
    assert pupr.get("/kerja/dpo/").status_code == 403

    lon, lat = desa_point(SUNGAI_RAYA)
    business = business_create(name="Keripik Pisang Uji", lon=lon, lat=lat, kbli_codes=["10794"])
    verifier = Client()
    verifier.force_login(make_user("verif", Role.UMKM_VERIFIER, "diskopumdag"))
    assert "Keripik Pisang Uji" in verifier.get("/kerja/umkm/").content.decode()
    verifier.post("/kerja/umkm/", {"business": business.id, "decision": "verified", "note": "NIB cocok"})
    assert Business.objects.get(id=business.id).verification_status == "verified"
    assert "Keripik Pisang Uji" not in verifier.get("/kerja/umkm/").content.decode()
    bad = verifier.post("/kerja/umkm/", {"business": "abc", "decision": "verified"}, follow=True)
    assert bad.status_code == 200 and "tidak ditemukan" in bad.content.decode()


def test_workspace_pages_speak_english_on_request(users, desa_point):
    r = _report(desa_point)
    client = Client()
    client.force_login(users["pupr"])
    html = client.get("/kerja/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Agency report queue" in html and "Sign out" in html and "Search tracking code, village or text" in html
    page = client.get(f"/kerja/laporan/{r.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "History (internal)" in page and "Report received" in page and "Verified" in page
    wrong = Client().post("/masuk/", {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Wrong username or password" in wrong.content.decode()
