"""The dashboard's figures are computed ahead (portal.services) and read from
the stored snapshot: known reports give known figures, through the
publication policy, and a change shows once the snapshot is older than the
freshness the page states."""
import datetime
import re
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geo.selectors import desa_centroids
from common.jobs import background_thread
from portal import services
from portal.models import FiguresSnapshot
from reports.services import categories_seed, report_submit

pytestmark = pytest.mark.django_db

SUNGAI_RAYA = "61.12.01.2001"
TELUK_KAPUAS = "61.12.01.2012"
KAMPUNG_BARU = "61.12.06.2011"
SUNGAI_KAKAP = "61.12.09.2001"


@pytest.fixture
def file_reports(kubu_raya):
    categories_seed()
    points = {code: (lon, lat) for code, lon, lat in desa_centroids()}

    def file(category: str, desa: str, n: int):
        lon, lat = points[desa]
        for i in range(n):
            report_submit(report_id=uuid.uuid4(), category_code=category, lon=lon, lat=lat,
                          description=f"Laporan uji dasbor nomor {i}", photo_optional=True)
    return file


@pytest.fixture
def known_reports(file_reports):
    """7 floods (P0) in Sungai Raya, 2 in Teluk Kapuas, 6 health visits (P3)
    in Kampung Baru, 2 in Sungai Kakap: 17 reports, all received."""
    file_reports("flood", SUNGAI_RAYA, 7)
    file_reports("flood", TELUK_KAPUAS, 2)
    file_reports("health-visit", KAMPUNG_BARU, 6)
    file_reports("health-visit", SUNGAI_KAKAP, 2)


def _desa_figure(html: str, name: str) -> str:
    desa_map = html.split("<h2>Laporan kategori agregat per desa</h2>", 1)[1]
    match = re.search(rf"<title>{re.escape(name)}: ([^<]*)</title>", desa_map)
    assert match, name
    return match.group(1)


def _total(html: str) -> str:
    return re.search(r'id="kpi-total">([^<]*)<', html).group(1)


def test_dashboard_shows_known_figures_through_the_policy(client, known_reports):
    services.dashboard_snapshot_refresh(wait=True)
    html = client.get("/dasbor/").content.decode()
    # Status and totals count the public points (the 9 floods) only (issue 16).
    assert _total(html) == "9"
    status_kpis = re.findall(r'<div class="kpi"><div>([^<]*)</div><div class="value">([^<]*)</div>', html)
    assert ("Diterima", "9") in status_kpis
    # The area maps count only aggregate-only categories, to their aggregate
    # level (health visits: per desa), as sums of the rounded base cells.
    assert _desa_figure(html, "Sungai Raya") == "0"
    assert _desa_figure(html, "Kampung Baru") == "5"  # 6, rounded
    assert _desa_figure(html, "Sungai Kakap") == "0"  # 2, rounded
    kecamatan_map = html.split("<h2>Laporan per kecamatan</h2>", 1)[1]
    assert "<title>Sungai Raya: 0</title>" in kecamatan_map
    assert "<title>Kubu: 5</title>" in kecamatan_map
    assert "Laporan uji dasbor" not in html


def test_peta_counts_come_from_the_snapshot_suppressed(client, known_reports):
    services.dashboard_snapshot_refresh(wait=True)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/peta/jumlah.json").json()
    assert not [q for q in queries.captured_queries if "reports_report" in q["sql"]]
    # Only aggregate-only categories: the floods are public as points, and a
    # count mixing them in would give the health visits away by subtraction.
    assert SUNGAI_RAYA not in body["desa"] and TELUK_KAPUAS not in body["desa"]
    # Health visits are P3 cases and P1 aggregates (domain.md 7.4): counts
    # are rounded to the nearest 5.
    assert body["desa"][KAMPUNG_BARU] == 5
    assert body["desa"][SUNGAI_KAKAP] == 0


def test_fresh_dashboard_reads_no_report_row(client, known_reports):
    services.dashboard_snapshot_refresh(wait=True)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dasbor/").status_code == 200
    assert not [q for q in queries.captured_queries if "reports_report" in q["sql"]]


def test_first_read_computes_the_figures(client, known_reports):
    assert not FiguresSnapshot.objects.exists()
    assert _total(client.get("/dasbor/").content.decode()) == "9"
    assert FiguresSnapshot.objects.get(key="dashboard").data["reports"]["total"] == 9


def test_a_new_report_shows_once_the_stated_freshness_has_passed(
        client, known_reports, file_reports, settings, django_capture_on_commit_callbacks):
    settings.PORTAL_FIGURES_MAX_AGE_SECONDS = 300
    settings.PORTAL_FIGURES_REFRESH_INLINE = True
    settings.LAYERS_REPORT_COUNTS_MIN_INTERVAL_S = 0
    services.dashboard_snapshot_refresh(wait=True)
    file_reports("health-visit", TELUK_KAPUAS, 5)
    file_reports("flood", TELUK_KAPUAS, 5)
    # What the reports' signal does after their commit (none in this test's transaction).
    from layers.models import SummaryState
    SummaryState.objects.update(dirty=True)
    html = client.get("/dasbor/").content.decode()
    assert "angka diperbarui setiap 5 menit" in html
    assert _total(html) == "9"  # within the freshness: the stored figures
    assert _desa_figure(html, "Teluk Kapuas") == "0"
    # Age the snapshot past the freshness instead of waiting five minutes.
    snapshot = FiguresSnapshot.objects.get(key="dashboard")
    before = snapshot.computed_at - datetime.timedelta(seconds=301)
    FiguresSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=before)
    html = client.get("/dasbor/").content.decode()  # no broker, inline: refreshed in this request
    assert _total(html) == "14"
    assert _desa_figure(html, "Teluk Kapuas") == "5"
    assert FiguresSnapshot.objects.get(key="dashboard").computed_at > before
    stamp = re.search(r'id="freshness">diperbarui <time datetime="[^"]+">([^<]+) WIB</time>', html)
    assert stamp, html[:2000]


@pytest.mark.django_db(transaction=True)
def test_a_stale_read_answers_at_once_and_refreshes_in_the_background(client, known_reports, file_reports,
                                                                      settings):
    settings.PORTAL_FIGURES_REFRESH_INLINE = False
    services.dashboard_snapshot_refresh(wait=True)
    file_reports("flood", TELUK_KAPUAS, 4)
    snapshot = FiguresSnapshot.objects.get(key="dashboard")
    FiguresSnapshot.objects.filter(pk=snapshot.pk).update(
        computed_at=snapshot.computed_at - datetime.timedelta(seconds=settings.PORTAL_FIGURES_MAX_AGE_SECONDS + 1))
    assert _total(client.get("/dasbor/").content.decode()) == "9"  # the stored figures, at once
    refresh = background_thread(services.REFRESH_THREAD)
    assert refresh is not None
    refresh.join(timeout=300)
    assert not refresh.is_alive()
    assert _total(client.get("/dasbor/").content.decode()) == "13"


def test_refresh_command_stores_the_figures(known_reports):
    out = StringIO()
    call_command("portal_dashboard_refresh", stdout=out)
    assert "dashboard figures computed" in out.getvalue()
    data = FiguresSnapshot.objects.get(key="dashboard").data
    assert data["reports"]["total"] == 9
    assert data["reports"]["by_status"] == {"received": 9}


def test_snapshot_holds_only_suppressed_figures(known_reports):
    data = services.dashboard_snapshot_refresh(wait=True).data["reports"]
    # Every area figure is a sum of rounded base cells: a multiple of 5.
    assert data["by_desa"] and all(v % 5 == 0 for v in data["by_desa"].values())
    assert data["by_kecamatan"] and all(v % 5 == 0 for v in data["by_kecamatan"].values())


def test_unfiltered_public_counts_come_from_the_snapshot(client, known_reports):
    from layers.policy import counts

    services.dashboard_snapshot_refresh(wait=True)
    for grouping in counts.PUBLISHED_GROUPINGS:
        group = ",".join(grouping)
        with CaptureQueriesContext(connection) as queries:
            stored = client.get("/api/v1/reports/counts/", {"group_by": group}).json()
        assert not [q for q in queries.captured_queries if "reports_report" in q["sql"]], group
        assert stored == counts.report_counts_public(group_by=group), group
    desa = {row["desa"]["code"]: row["count"] for row in
            client.get("/api/v1/reports/counts/", {"group_by": "desa"}).json()}
    # Every aggregable category, rounded: floods 7 -> 5, 2 -> 0; visits 6 -> 5, 2 -> 0.
    assert desa == {SUNGAI_RAYA: 5, TELUK_KAPUAS: 0, KAMPUNG_BARU: 5, SUNGAI_KAKAP: 0}
    # A filter selects whole base cells.
    filtered = client.get("/api/v1/reports/counts/", {"group_by": "desa", "category": "flood"}).json()
    assert {row["desa"]["code"]: row["count"] for row in filtered} == {SUNGAI_RAYA: 5, TELUK_KAPUAS: 0}


# --- Agency datasets on the dashboard (issue 8) --------------------------------

def _publish_desa_dataset(slug: str, csv_text: str, exempt_fields: str = ""):
    from accounts.models import Role
    from accounts.services import membership_grant, user_create
    from geo.models import Agency

    from tests.datasets.conftest import api, create_dataset, upload

    agency = Agency.objects.order_by("code").first()
    producer = user_create(username=f"produsen-{slug}", email=f"{slug}@opd.kuburayakab.go.id")
    membership_grant(user=producer, role=Role.DATA_PRODUCER, agency=agency)
    walidata = user_create(username=f"walidata-{slug}", email=f"w-{slug}@kuburayakab.go.id")
    membership_grant(user=walidata, role=Role.WALIDATA)
    create_dataset(producer, agency, slug=slug, kind="desa")
    response = upload(producer, slug, f"{slug}.csv", csv_text.encode(), exempt_fields=exempt_fields)
    assert response.status_code == 201, response.content
    return lambda: api(walidata).post(f"/api/v1/datasets/{slug}/versions/1/approve/", {}, format="json")


def test_dashboard_colours_desa_by_a_published_dataset_field_and_never_an_exempt_one(client, kubu_raya):
    nik = "6112014107900001"
    approve = _publish_desa_dataset(
        "stunting", "kode_desa,balita_stunting,posyandu,nik_kader\n"
        f"{SUNGAI_RAYA},40,3,{nik}\n{TELUK_KAPUAS},0,8,{nik}\n{KAMPUNG_BARU},20,5,{nik}\n",
        exempt_fields="nik_kader")
    html = client.get("/dasbor/").content.decode()
    assert "Belum ada dataset instansi per desa yang diterbitkan." in html  # not approved yet
    assert approve().status_code == 200
    html = client.get("/dasbor/").content.decode()
    section = html.split('id="dataset-map"', 1)[1].split("</section>", 1)[0]
    options = re.findall(r'<option value="([^"]+)"', section)
    assert options == ["stunting/balita_stunting", "stunting/posyandu"]
    assert "nik_kader" not in html and nik not in html
    # Equal intervals 0-40 in five classes: 40 -> darkest, 0 -> lightest, 20 -> middle.
    fills = {name: fill for fill, name in re.findall(r'<path d="[^"]*" fill="([^"]+)"[^>]*><title>([^<]+?): ',
                                                      section)}
    assert (fills["Sungai Raya"], fills["Teluk Kapuas"], fills["Kampung Baru"]) == ("#08519c", "#eff3ff", "#6baed6")
    assert fills["Sungai Kakap"] == "#ffffff"  # no value: "no data", not zero
    assert "<title>Sungai Raya: 40</title>" in section
    # Another field is chosen with ?data=; an exempt field cannot be asked for.
    chosen = client.get("/dasbor/", {"data": "stunting/posyandu"}).content.decode()
    assert "<title>Teluk Kapuas: 8</title>" in chosen.split('id="dataset-map"', 1)[1]
    asked = client.get("/dasbor/", {"data": "stunting/nik_kader"}).content.decode()
    assert nik not in asked and "<title>Sungai Raya: 40</title>" in asked.split('id="dataset-map"', 1)[1]
