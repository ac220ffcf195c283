"""Adversarial privacy suite (issue 16): lawful publication by construction.

Plants reports of every publication class x confidential x anonymous x
status, each with a unique canary text, personal data in its description
and its own off-grid coordinates, then:

- walks EVERY URL pattern of the URLconf (a new public output is covered
  without editing this file) as an anonymous caller and as each
  non-privileged role, and fails when a non-public canary text, any personal
  datum, or a coordinate pair closer than the promised obfuscation to a
  captured point appears in an answer;
- reads every tile zoom 0-20 over the canaries: no point closer than the
  obfuscation, and the clusters count exactly the public reports (a
  confidential, rejected or restricted report is never counted);
- runs differencing attacks over every published grouping and over planner
  windows: every published count is a sum of the rounded base cells, so no
  difference of published numbers says more than those cells;
- holds the staff-only patterns to an explicit list, itself tested.
"""
import datetime
import itertools
import math
import re
import uuid

import mapbox_vector_tile
import morecantile
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Membership, Role
from common.publication import PUBLIC_GRID_DEG, ROUNDING_BASE
from layers.policy.counts import PUBLISHED_GROUPINGS
from tests.ops.test_authz_matrix import _fill, _walk

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TMS = morecantile.tms.get("WebMercatorQuad")
# A published point is never closer than this to where a report was captured
# (the canaries sit >= 23 m from every grid node; the grid is ~55 m).
MIN_DISTANCE_M = 11.0
# Roles that must see nothing non-public of reports they do not handle.
NON_PRIVILEGED = [Role.RESIDENT, Role.PLANNER, Role.DATA_PRODUCER, Role.WALIDATA, Role.REQUESTER,
                  Role.UMKM_OWNER, Role.UMKM_VERIFIER, Role.DPO, Role.SYSTEM_ADMIN, Role.PPID_OFFICER]
# Patterns that only staff (or the caller's own records) may use: an
# anonymous caller gets 401, 403 or 404 from each (tested below, and the
# names are checked against the URLconf so the list cannot rot).
STAFF_ONLY = {
    "reports-nearby", "reports-queue", "reports-overdue", "reports-access-log", "reports-transitions",
    "reports-notes", "reports-subject", "reports-photo", "businesses-mine", "businesses-pending",
    "businesses-stats", "businesses-consents", "businesses-verification", "businesses-audit",
    "planner-statistics", "planner-within", "planner-hotspots",
    "datasets-detail", "datasets-fields", "datasets-versions", "datasets-version-approve", "datasets-version-reject",
}
SKIP = ("admin/", "i18n/", "api/docs/", "metrics", "api/schema/")
STATUSES = ("received", "in_progress", "resolved", "rejected")
# Every canary is filed at this moment (passed in: nothing here reads the clock).
FILED_AT = datetime.datetime(2026, 11, 15, 3, 0, tzinfo=datetime.timezone.utc)


def _meters(lon1, lat1, lon2, lat2) -> float:
    k = 111_320.0
    return math.hypot((lon1 - lon2) * k * math.cos(math.radians(lat1)), (lat1 - lat2) * k)


def _categories():
    """One desa-level category per publication class, and a kecamatan-only one."""
    from reports.models import Category

    chosen = []
    for cls in ("P0", "P1", "P2", "P3"):
        c = (Category.objects.filter(is_active=True, publication_class=cls, aggregate_level="desa")
             .order_by("code").first())
        if c is not None:
            chosen.append(c)
    kec = Category.objects.filter(is_active=True, aggregate_level="kecamatan").order_by("code").first()
    if kec is not None:
        chosen.append(kec)
    return chosen


@pytest.fixture
def canaries(kubu_raya):
    """Every class x confidential x anonymous x status, each with a unique
    canary, personal data and an off-grid point in Sungai Raya."""
    from geo.selectors import desa_centroids
    from reports.models import Report
    from reports.services import categories_seed, report_submit

    categories_seed()
    centre = {code: (lon, lat) for code, lon, lat in desa_centroids()}["61.12.01.2001"]
    g = PUBLIC_GRID_DEG
    lon0, lat0 = math.floor(centre[0] / g) * g, math.floor(centre[1] / g) * g
    reporter = get_user_model().objects.create_user(username="pelapor-kanari", password="x" * 12)
    planted = []
    combos = list(itertools.product(_categories(), (False, True), (False, True), STATUSES))
    side = math.ceil(math.sqrt(len(combos)))
    now = FILED_AT
    for i, (category, confidential, anonymous, status) in enumerate(combos):
        # 0.001 deg apart, each 0.00021/0.00029 deg off the grid nodes.
        lon = lon0 + (i % side - side // 2) * 0.001 + 0.00021
        lat = lat0 + (i // side - side // 2) * 0.001 + 0.00029
        canary = f"KANARI{i:03d}X{uuid.uuid4().hex[:8]}"
        personal = [f"0812{i:04d}5678", f"kanari{i}.warga@contoh.id", f"6112{i:012d}", f"KB {1000 + i} XY"]
        description = f"{canary} hubungi {personal[0]} / {personal[1]}, NIK {personal[2]}, mobil {personal[3]}"
        result = report_submit(report_id=uuid.uuid4(), category_code=category.code, lon=lon, lat=lat,
                               description=description, confidential=confidential, anonymous=anonymous,
                               reporter=None if anonymous else reporter, photo_optional=True,
                               subject={"name": f"SUBJEK{canary}"}, now=now)
        report = result.report
        if status != "received":
            Report.objects.filter(id=report.id).update(
                status=status, resolved_at=now if status == "resolved" else None)
        public = (category.publication_class == "P0" and not report.confidential
                  and status not in ("rejected", "merged"))
        planted.append({"id": str(report.id), "tracking_code": report.tracking_code, "canary": canary,
                        "personal": personal, "lon": lon, "lat": lat, "public": public, "status": status,
                        "category": category.code, "class": category.publication_class,
                        "confidential": report.confidential, "anonymous": anonymous})
    from layers.services import report_counts_refresh

    report_counts_refresh(force=True)
    return planted


# --- businesses and agency datasets --------------------------------------------

BUSINESS_OWNER = {"name": "PEMILIKKANARI Siti Aminah", "nik": "6112019999000001",
                  "home_address": "Jl. KANARIRUMAH Gg. Mawar 9", "phone": "081299990001"}


@pytest.fixture
def business_canaries(kubu_raya):
    """Businesses in every state of verification x listing consent x open/
    closed, each with a unique canary name, a NIB published without consent,
    an owner's personal data and an exact home point that must stay hidden
    (home-based, no location consent). Public: verified, listed, active."""
    from businesses import services
    from businesses.models import Business, BusinessConsent
    from geo.selectors import desa_centroids

    centre = {code: (lon, lat) for code, lon, lat in desa_centroids()}["61.12.01.2002"]
    owner = services.owner_create(**BUSINESS_OWNER)
    planted = []
    combos = list(itertools.product(("pending", "verified", "rejected"), (False, True), ("active", "closed")))
    for i, (verification, listed, status) in enumerate(combos):
        # >= 0.004 deg (~450 m) from the desa point where they are shown.
        lon, lat = centre[0] + 0.004 + (i % 4) * 0.0011 + 0.00013, centre[1] + 0.004 + (i // 4) * 0.0011 + 0.00017
        canary = f"USAHAKANARI{i:02d}X{uuid.uuid4().hex[:6]}"
        nib = f"91{i:02d}{uuid.uuid4().int % 10**9:09d}"
        business = services.business_create(
            owner=owner, name=canary, lon=lon, lat=lat, kbli_codes=["10794"], nib=nib, is_home_based=True,
            products="keripik kanari", capital_idr=123_456_789, annual_sales_idr=987_654_321,
            listing_consent=(BusinessConsent.Channel.ONLINE_FORM, FILED_AT) if listed else None)
        Business.objects.filter(pk=business.pk).update(verification_status=verification, status=status)
        planted.append({"id": business.pk, "canary": canary, "nib": nib, "lon": lon, "lat": lat,
                        "public": verification == "verified" and listed and status == "active",
                        "state": (verification, listed, status)})
    return planted


DATASET_SECRET = "6112019999000077"


@pytest.fixture
def dataset_canaries(kubu_raya):
    """A published desa dataset with an exempt field, a `dikecualikan` one and
    one whose only version the walidata has not approved; each carries a
    canary that must never leave."""
    from accounts.services import membership_grant, user_create
    from datasets import services
    from geo.models import Agency, Area

    agency = Agency.objects.order_by("code").first()
    producer = user_create(username="produsen-kanari")
    membership_grant(user=producer, role=Role.DATA_PRODUCER, agency=agency)
    walidata = user_create(username="walidata-kanari")
    membership_grant(user=walidata, role=Role.WALIDATA)
    codes = list(Area.objects.filter(edition=kubu_raya, level="desa").order_by("code").values_list("code", flat=True))
    made = {}
    for slug, kip_class, approve in (("kanari-terbit", "setiap_saat", True), ("kanari-kecuali", "dikecualikan", True),
                                     ("kanari-draf", "setiap_saat", False)):
        extra = {"exemption_basis": "17h", "consequence_test": "Identitas penerima."} if kip_class == "dikecualikan" else {}
        dataset = services.dataset_create(
            user=producer, producer=agency, slug=slug, title=f"Dataset {slug}", description="Uji",
            kind="desa", frequency="tahunan", kip_class=kip_class, legal_basis="UU 14/2008 Pasal 11",
            reference_edition=kubu_raya, **extra)
        canary = f"DATAKANARI{slug.replace('-', '').upper()}"
        rows = ["kode_desa,jumlah_penerima,nik_koordinator,catatan"]
        rows += [f"{code},{10 + i},{DATASET_SECRET},{canary}" for i, code in enumerate(codes[:5])]
        version = services.dataset_version_upload(dataset=dataset, user=producer, filename=f"{slug}.csv",
                                                  data="\n".join(rows).encode(),
                                                  exempt_fields=["nik_koordinator", "catatan"])
        if approve:
            services.dataset_version_approve(version=version, user=walidata)
        made[slug] = canary
    return made


# Private tables of businesses and datasets: a public answer to an
# anonymous caller never runs SQL on them (it reads the public views).
PRIVATE_TABLES = re.compile(
    r"\b(businesses_business|businesses_businessowner|businesses_businessfinancials|businesses_businessconsent"
    r"|businesses_certificate|businesses_businessphoto|businesses_businessaudit|datasets_dataset"
    r"|datasets_datasetfield|datasets_datasetversion|datasets_datasetfeature)\b")


def _callers():
    User = get_user_model()
    callers = {"anonymous": None}
    for role in NON_PRIVILEGED:
        user = User.objects.create_user(username=f"privasi-{role}", password="x" * 12)
        Membership.objects.create(user=user, role=role)
        callers[role] = Token.objects.create(user=user).key
    return callers


_NUMBER = re.compile(r"-?\d{1,3}\.\d{3,}")


def _leaks(body: str, planted: list[dict], *, coordinates: bool = True) -> list[str]:
    found = []
    for c in planted:
        if not c["public"] and c["canary"] in body:
            found.append(f"canary of non-public report ({c['class']}, confidential={c['confidential']}, "
                         f"{c['status']})")
        for datum in c["personal"]:
            if datum in body:
                found.append(f"personal datum {datum!r}")
    if coordinates:
        # Coordinate pairs as outputs write them: adjacent numbers, (lon, lat)
        # in GeoJSON/WKT/CSV/"lon","lat" or (lat, lon) in Open311.
        numbers = [float(n) for n in _NUMBER.findall(body)]
        pairs = set()
        for a, b in zip(numbers, numbers[1:]):
            if 108.5 < a < 110.5 and -1.5 < b < 0.5:
                pairs.add((a, b))
            elif -1.5 < a < 0.5 and 108.5 < b < 110.5:
                pairs.add((b, a))
        for c in planted:
            if any(_meters(x, y, c["lon"], c["lat"]) < MIN_DISTANCE_M for x, y in pairs):
                found.append(f"a point within {MIN_DISTANCE_M} m of canary {c['canary']}")
    return found


def _other_leaks(body: str, businesses: list[dict], datasets: dict, *, coordinates: bool = True) -> list[str]:
    found = []
    for b in businesses:
        if not b["public"] and b["canary"] in body:
            found.append(f"non-public business {b['state']}")
        if b["nib"] in body:
            found.append("a NIB published without consent")
    for value in BUSINESS_OWNER.values():
        if value in body:
            found.append(f"owner's personal datum {value!r}")
    for datum in ("123456789", "987654321"):
        if datum in body:
            found.append("a business's figures")
    for slug, canary in datasets.items():
        if canary in body:
            found.append(f"exempt value of dataset {slug}")
    if DATASET_SECRET in body:
        found.append("an exempt dataset field (NIK)")
    for slug in ("kanari-kecuali", "kanari-draf"):
        if slug in body:
            found.append(f"unpublished dataset {slug}")
    if coordinates:
        numbers = [float(n) for n in _NUMBER.findall(body)]
        pairs = {(a, b_) if 108.5 < a < 110.5 else (b_, a) for a, b_ in zip(numbers, numbers[1:])
                 if (108.5 < a < 110.5 and -1.5 < b_ < 0.5) or (-1.5 < a < 0.5 and 108.5 < b_ < 110.5)}
        for b in businesses:
            if any(_meters(x, y, b["lon"], b["lat"]) < MIN_DISTANCE_M for x, y in pairs):
                found.append(f"the exact home point of business {b['canary']}")
    return found


def _routes(samples_list: list[dict], queries: dict) -> list[tuple[str, str]]:
    out, seen = [], set()
    for prefix, p in _walk(get_resolver().url_patterns):
        full = prefix + str(p.pattern)
        if full.startswith(SKIP):
            continue
        paths = []
        for samples in samples_list:
            path = _fill(prefix, p, samples)
            try:
                if resolve(path).func is not p.callback:
                    continue
            except Resolver404:
                continue
            if path not in paths:
                paths.append(path)
        if not paths:
            paths = [_fill(prefix, p, samples_list[0])]
        for path in paths:
            for query in queries.get(p.name, [""]):
                if path + query not in seen:
                    seen.add(path + query)
                    out.append((p.name or full, path + query))
    return out


def _body(response) -> str:
    if hasattr(response, "content_bytes"):
        content = response.content_bytes
    else:
        content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def test_no_url_of_the_urlconf_publishes_a_canary_personal_data_or_a_close_point(canaries, business_canaries,
                                                                                dataset_canaries, settings,
                                                                                tmp_path):
    settings.TILES_REDIS_URL = ""
    cache.clear()
    client = Client()
    client.raise_request_exception = False
    base = {"code": "61.12.01.2001", "layer_id": "reports", "collection_id": "reports", "layers": "reports",
            "z": 14, "x": 13189, "y": 8195, "fmt": "json", "level": "desa", "name": "x"}
    # Every report-specific pattern with each canary (anonymous or not does
    # not change what is public): anonymous and one non-privileged role per
    # canary in turn; every other pattern with every caller.
    per_report = []
    for c in canaries:
        if not c["anonymous"]:
            t = TMS.tile(c["lon"], c["lat"], 14)
            per_report.append({**base, "report_id": c["id"], "request_id": c["id"], "feature_id": c["id"],
                               "tracking_code": c["tracking_code"], "service_code": c["category"],
                               "z": 14, "x": t.x, "y": t.y})
    general = [base] + [{**base, "layer_id": layer, "fmt": fmt} for fmt in ("geojson", "csv", "gpkg")
                        for layer in ("reports", "report-counts")]
    general += [{**base, "collection_id": "report-counts"}]
    general += [{**base, "layer_id": "businesses", "fmt": fmt, "collection_id": "businesses", "layers": "businesses"}
                for fmt in ("geojson", "csv", "gpkg")]
    general += [{**base, "layer_id": f"dataset-{slug}", "collection_id": f"dataset-{slug}", "slug": slug,
                 "field": "jumlah_penerima", "fmt": fmt}
                for slug in dataset_canaries for fmt in ("geojson", "csv")]
    general += [{**base, "field": "catatan", "slug": "kanari-terbit"}]
    lon, lat = canaries[0]["lon"], canaries[0]["lat"]
    queries = {
        "reports-candidates": [""] + [f"?category={code}&lon={lon}&lat={lat}"
                                      for code in sorted({c["category"] for c in canaries})],
        "open311-requests": ["", "?start_date=2000-01-01T00:00:00Z"],
        "ogc-items": ["", "?limit=10000"],
        "reports-counts": ["?group_by=" + ",".join(g) for g in PUBLISHED_GROUPINGS],
        "peta-cari": ["?q=KANARI", "?q=USAHAKANARI"],
        "businesses-list": ["", "?q=usahakanari", "?limit=100&bbox=109.0,-0.5,109.8,0.2",
                            f"?near={business_canaries[0]['lon']},{business_canaries[0]['lat']}&radius_m=2000"],
    }
    callers = _callers()
    roles = [who for who in callers if who != "anonymous"]
    walks = [(name, path, list(callers)) for name, path in _routes(general, queries)]
    seen = {path for _name, path, _who in walks}
    for i, sample in enumerate(per_report):
        for name, path in _routes([sample], {}):
            if path not in seen:
                seen.add(path)
                walks.append((name, path, ["anonymous", roles[i % len(roles)]]))
    for i, b in enumerate(business_canaries):
        for name, path in _routes([{**base, "business_id": b["id"]}], {}):
            if path not in seen:
                seen.add(path)
                walks.append((name, path, ["anonymous", roles[i % len(roles)]]))
    assert len(walks) > 50
    failures, reached = [], set()
    for name, path, whos in walks:
        for who in whos:
            token = callers[who]
            headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, **headers)
                if response.status_code == 200 and response.streaming:
                    response.content_bytes = b"".join(response.streaming_content)
            if who == "anonymous" and response.status_code == 200:
                for q in queries.captured_queries:
                    if PRIVATE_TABLES.search(q["sql"]):
                        failures.append(f"anonymous GET {path} ({name}) read a private table: "
                                        f"{PRIVATE_TABLES.search(q['sql']).group(1)}")
                        break
            if response.status_code >= 500:
                failures.append(f"{who} GET {path} -> {response.status_code}")
            if response.status_code != 200:
                continue
            ctype = response.get("Content-Type", "")
            binary = "protobuf" in ctype or "geopackage" in ctype or "image/" in ctype or "sqlite" in ctype
            body = _body(response)
            if any(c["public"] and c["canary"] in body for c in canaries):
                reached.add(name)
            if any(b["public"] and b["canary"] in body for b in business_canaries):
                reached.add(name)
            # The UMKM verifier's queue and the walidata's datasets are their
            # work (staff outputs of those sources); every other caller
            # must see nothing non-public of them.
            others = _other_leaks(body, [] if who == Role.UMKM_VERIFIER else business_canaries,
                                  {} if who == Role.WALIDATA else dataset_canaries, coordinates=not binary)
            if who == Role.WALIDATA:
                others = [o for o in others if not o.startswith("unpublished dataset")]
            if who == Role.UMKM_VERIFIER:
                others = [o for o in others if not o.startswith(("owner's personal", "a business's figures"))]
            for leak in _leaks(body, canaries, coordinates=not binary) + others:
                failures.append(f"{who} GET {path} ({name}): {leak}")
    cache.clear()
    assert not failures, "\n".join(sorted(set(failures))[:60])
    # The walk read the outputs that publish reports (a public canary's text
    # reached the anonymous caller there), so the checks above are not vacuous.
    assert {"open311-requests", "reports-detail", "businesses-list", "businesses-detail", "ogc-items",
            "layers-download"} <= reached, reached


def _tile_features(client, layer: str, z: int, x: int, y: int, query: str = "") -> list:
    response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt{query}")
    assert response.status_code in (200, 204), (z, x, y, response.status_code)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if not content:
        return []
    decoded = mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})
    out = []
    for data in decoded.values():
        extent = data.get("extent", 4096)
        bounds = TMS.xy_bounds(morecantile.Tile(x, y, z))
        for f in data["features"]:
            px, py = f["geometry"]["coordinates"]
            if not (0 <= px < extent and 0 <= py < extent):
                continue  # the buffer: the neighbouring tile owns it
            mx = bounds.left + (bounds.right - bounds.left) * px / extent
            my = bounds.top - (bounds.top - bounds.bottom) * py / extent
            out.append((mx, my, f["properties"]))
    return out


def _to_lonlat(mx: float, my: float) -> tuple[float, float]:
    lon = mx / 6378137.0 * 180 / math.pi
    lat = (2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2) * 180 / math.pi
    return lon, lat


def test_every_tile_zoom_counts_only_public_reports_and_no_point_comes_close(canaries, settings, tmp_path):
    settings.TILES_REDIS_URL = ""
    cache.clear()
    client = Client()
    public = [c for c in canaries if c["public"]]
    assert public and len(public) < len(canaries)
    g = PUBLIC_GRID_DEG
    snapped = [(round(c["lon"] / g) * g, round(c["lat"] / g) * g) for c in canaries]
    for query, wanted in (("", public), ("?status=received", [c for c in public if c["status"] == "received"])):
        for z in range(0, 21):
            tiles = {TMS.tile(lon, lat, z) for lon, lat in snapped} | {TMS.tile(c["lon"], c["lat"], z)
                                                                      for c in canaries}
            total = 0
            for t in tiles:
                for mx, my, props in _tile_features(client, "reports", z, t.x, t.y, query):
                    total += int(props.get("count", 1))
                    if z >= settings.TILES_POINTS_MIN_ZOOM:
                        lon, lat = _to_lonlat(mx, my)
                        for c in canaries:
                            assert _meters(lon, lat, c["lon"], c["lat"]) >= MIN_DISTANCE_M, (z, c["canary"])
            # Exactly the public reports: never a confidential, rejected or
            # restricted one (a cluster must not count what points hide).
            assert total == len(wanted), (query, z, total, len(wanted))
    cache.clear()


def _ogc_base_cells(client) -> list[dict]:
    response = client.get("/ogc/collections/report-counts/items?limit=10000", HTTP_ACCEPT="application/geo+json")
    assert response.status_code == 200
    body = response.json()
    return [f["properties"] for f in body["features"]]


def _expected(cells: list[dict], grouping: tuple) -> dict:
    sums = {}
    for cell in cells:
        if "desa" in grouping and cell["level"] != "desa":
            continue
        key = []
        for g in grouping:
            key.append({"desa": cell["area_code"], "kecamatan": cell["kecamatan_code"],
                        "category": cell["category_code"], "month": cell["period"]}[g])
        sums[tuple(key)] = sums.get(tuple(key), 0) + cell["count"]
    return sums


def _published(rows: list[dict], grouping: tuple) -> dict:
    out = {}
    for row in rows:
        key = tuple(row[g]["code"] if isinstance(row[g], dict) else row[g] for g in grouping)
        out[key] = row["count"]
    return out


def test_differencing_attacks_recover_nothing_beyond_the_rounded_base(canaries, client):
    """The guarantee, not an example: every published count of reports (the
    counts API for every published grouping, OGC report-counts, dashboard,
    planner statistics for any window) is a sum of the rounded base cells, so
    any difference of published numbers is a difference of rounded cells and
    never a raw count. Base cells are multiples of the rounding base."""
    cells = _ogc_base_cells(client)
    assert cells and all(c["count"] % ROUNDING_BASE == 0 for c in cells)
    assert any(c["count"] > 0 for c in cells), "the canaries must make some base cell non-zero"
    for grouping in PUBLISHED_GROUPINGS:
        response = client.get("/api/v1/reports/counts/", {"group_by": ",".join(grouping)})
        assert response.status_code == 200, grouping
        published = _published(response.json(), grouping)
        expected = {k: v for k, v in _expected(cells, grouping).items() if k in published or v}
        assert {k: v for k, v in published.items() if k in expected or v} == expected, grouping
    # Unknown, repeated or unpublished groupings, and a status split: 400, JSON.
    for bad in ("kecamatan,kecamatan", "status", "desa,status", "x", "desa,kecamatan", "", "desa,,desa"):
        response = client.get("/api/v1/reports/counts/", {"group_by": bad})
        assert response.status_code == 400 and response.json()["code"] == "invalid", bad
    assert client.get("/api/v1/reports/counts/", {"status": "received"}).status_code == 400
    # The dashboard's maps are the same numbers.
    from layers.policy.dashboard import dashboard_report_figures
    from geo.models import Area

    figures = dashboard_report_figures()
    codes = dict(Area.objects.filter(id__in=list(figures["by_desa"]) + list(figures["by_kecamatan"]))
                 .values_list("id", "code"))
    # (the maps count the aggregate-only categories: P0 reports are points)
    from reports.models import Category

    restricted = set(Category.objects.exclude(publication_class="P0").values_list("code", flat=True))
    cells_restricted = [c for c in cells if c["category_code"] in restricted]
    desa = _expected(cells_restricted, ("desa",))
    assert {(codes[k],): v for k, v in figures["by_desa"].items()} == {k: v for k, v in desa.items()
                                                                       if k in {(codes[i],) for i in
                                                                                figures["by_desa"]}}
    kecamatan = _expected(cells_restricted, ("kecamatan",))
    for area_id, value in figures["by_kecamatan"].items():
        assert value == kecamatan.get((codes[area_id],), 0)
    # A raw small count is never a published number: for every base cell
    # holding 1-4 canaries, neither its count nor any kecamatan-minus-desa
    # difference equals the raw count.
    raw = {}
    for c in canaries:
        if c["status"] != "rejected" and not (c["class"] == "P0" and c["confidential"]):
            raw[c["category"]] = raw.get(c["category"], 0) + 1
    by_category = _published(client.get("/api/v1/reports/counts/", {"group_by": "category"}).json(), ("category",))
    for code, n in raw.items():
        assert by_category.get((code,), 0) % ROUNDING_BASE == 0
        assert by_category.get((code,), 0) != n or n % ROUNDING_BASE == 0


def test_planner_windows_and_hotspots_are_whole_months_rounded_and_snapped(canaries, client):
    from layers.models import PlannerAccess

    user = get_user_model().objects.create_user(username="perencana-uji", password="x" * 12)
    Membership.objects.create(user=user, role=Role.PLANNER)
    client.force_login(user)
    filed = timezone.localtime(FILED_AT)
    day = datetime.timedelta(days=1)
    starts = [None, filed - 40 * day, filed - datetime.timedelta(seconds=1),
              filed.replace(day=1, hour=0, minute=0, second=0, microsecond=0)]
    ends = [None, filed, filed + 40 * day, filed + datetime.timedelta(seconds=1)]
    cells = _ogc_base_cells(client)
    results = {}
    for start, end in itertools.product(starts, ends):
        params = {"level": "desa", "group_by": "category"}
        if start:
            params["start"] = start.isoformat()
        if end:
            params["end"] = end.isoformat()
        response = client.get("/api/v1/planner/statistics", params)
        assert response.status_code == 200, response.content
        rows = response.json()["results"]
        got = {(r["code"], r["category"]): r["count"] for r in rows}
        first = f"{start.year:04d}-{start.month:02d}" if start else None
        last = f"{end.year:04d}-{end.month:02d}" if end else None
        window = [c for c in cells if (not first or c["period"] >= first) and (not last or c["period"] < last)]
        expected = {k: v for k, v in _expected(window, ("desa", "category")).items() if v or k in got}
        assert {k: v for k, v in got.items() if v or k in expected} == expected, (start, end)
        assert all(v % ROUNDING_BASE == 0 for v in got.values())
        results[(start, end)] = got
    # Moving a window by one second (one report) changes nothing.
    assert results[(starts[2], ends[1])] == results[(starts[3], ends[3])]
    assert client.get("/api/v1/planner/statistics", {"group_by": "status"}).status_code == 400
    for code in sorted({c["category"] for c in canaries}):
        response = client.get("/api/v1/planner/hotspots", {"category": code, "eps_m": 500, "min_points": 5})
        assert response.status_code == 200, response.content
        for feature in response.json()["features"]:
            assert feature["properties"]["count"] % ROUNDING_BASE == 0
            for value in feature["properties"]["centroid"]:
                assert abs(value / PUBLIC_GRID_DEG - round(value / PUBLIC_GRID_DEG)) < 1e-6
            for ring in feature["geometry"]["coordinates"]:
                for lon, lat in ring:
                    for c in canaries:
                        assert _meters(lon, lat, c["lon"], c["lat"]) >= MIN_DISTANCE_M
    assert PlannerAccess.objects.filter(user=user, endpoint="statistics").count() == len(starts) * len(ends)
    assert PlannerAccess.objects.filter(user=user, endpoint="hotspots").exists()


def test_staff_only_patterns_refuse_the_anonymous_caller(canaries, client):
    names = {p.name for _prefix, p in _walk(get_resolver().url_patterns)}
    assert STAFF_ONLY <= names, STAFF_ONLY - names  # the list itself names real patterns
    c = canaries[0]
    samples = {"report_id": c["id"], "photo_id": 1, "business_id": 1, "slug": "x", "number": 1}
    for prefix, p in _walk(get_resolver().url_patterns):
        if p.name in STAFF_ONLY:
            path = _fill(prefix, p, samples)
            for method in ("get", "post"):
                status = getattr(client, method)(path).status_code
                assert status in (401, 403, 404, 405), (p.name, method, status)
                if method == "get":
                    assert status != 405 or p.name in ("reports-transitions", "reports-notes",
                                                       "businesses-verification", "planner-within"), p.name


def test_scrubbing_of_personal_data_is_one_database_function(db):
    from common.scrub import scrub

    text = ("telp 0812-3456-7890 / +62 812 3456 7890, surel budi.s@contoh.co.id, NIK 6112 0101 0190 0001,"
            " NIK 6112010101900001, nopol KB 1234 AB dan kb1234ab, di RT 05 RW 02")
    out = scrub(text)
    for datum in ("0812-3456-7890", "+62 812 3456 7890", "budi.s@contoh.co.id", "6112010101900001",
                  "6112 0101 0190 0001", "KB 1234 AB", "kb1234ab"):
        assert datum not in out, (datum, out)
    assert "RT 05 RW 02" in out


# Modules that build public outputs. They may name the public projections
# (PublicBusiness, PublicCertificate, PublicPhoto, PublicDataset,
# PublicDatasetField, PublicDatasetFeature), never the private models; the
# write helpers of businesses/policy.py (consent_granted,
# business_public_point, used by businesses.services) are the one exception.
PRIVATE_MODELS = {
    "businesses.models": {"Business", "BusinessOwner", "BusinessFinancials", "BusinessConsent", "Certificate",
                          "BusinessPhoto", "BusinessAudit"},
    "datasets.models": {"Dataset", "DatasetField", "DatasetVersion", "DatasetFeature"},
}
WRITE_HELPERS_MAY_NAME = {"businesses/policy.py": {"Business", "BusinessConsent"}}


def _public_modules():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("layers/**/*.py"), *root.glob("tiles/**/*.py"), root / "datasets/layers.py",
             root / "ppid/information.py", root / "portal/selectors.py", root / "portal/maps.py",
             *(root / app / "policy.py"
               for app in ("announcements", "businesses", "datasets", "ppid", "reports"))]
    return root, [f for f in files if "migrations" not in f.parts]


def test_public_code_imports_only_the_public_projections():
    """A bypass of the views would have to import a private model into a
    module that builds public outputs; none does (and at run time the walk
    above checks the SQL of every anonymous answer)."""
    import ast

    root, files = _public_modules()
    assert len(files) > 20
    offences = []
    for path in files:
        rel = str(path.relative_to(root))
        allowed = WRITE_HELPERS_MAY_NAME.get(rel, set())
        tree = ast.parse(path.read_text(), filename=rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in PRIVATE_MODELS:
                for alias in node.names:
                    if (alias.name in PRIVATE_MODELS[node.module] and alias.name not in allowed) or alias.name == "*":
                        offences.append(f"{rel}:{node.lineno} imports {node.module}.{alias.name}")
            elif isinstance(node, ast.Import) and any(a.name in PRIVATE_MODELS for a in node.names):
                offences.append(f"{rel}:{node.lineno} imports a private models module whole")
    assert not offences, "\n".join(offences)


def test_business_and_dataset_views_hold_only_public_rows(business_canaries, dataset_canaries):
    from businesses.models import Business, PublicBusiness, PublicCertificate
    from datasets.models import Dataset, PublicDataset, PublicDatasetFeature, PublicDatasetField

    public_ids = {b["id"] for b in business_canaries if b["public"]}
    assert set(PublicBusiness.objects.values_list("id", flat=True)) == public_ids
    assert Business.objects.filter(id__in=[b["id"] for b in business_canaries]).count() == len(business_canaries)
    assert not PublicBusiness.objects.exclude(nib__isnull=True).exists()      # no numbers consent
    assert not PublicCertificate.objects.exclude(number__isnull=True).exists()
    view_columns = {f.column for f in PublicBusiness._meta.get_fields() if hasattr(f, "column")}
    assert not view_columns & {"location", "owner_id", "verification_note", "oss_risk", "listing_public", "source"}
    published = Dataset.objects.get(slug="kanari-terbit")
    assert list(PublicDataset.objects.values_list("slug", flat=True)) == ["kanari-terbit"]
    assert set(PublicDatasetField.objects.values_list("name", flat=True)) == {"jumlah_penerima"}
    props = list(PublicDatasetFeature.objects.values_list("properties", flat=True))
    assert len(props) == 5 and all(set(p) == {"jumlah_penerima"} for p in props)
    assert published.fields.filter(exempt=True).count() == 2


def test_a_business_leaves_every_public_output_when_consent_is_withdrawn(business_canaries, client):
    from businesses import services
    from businesses.models import Business

    [public] = [b for b in business_canaries if b["public"]]
    assert client.get(f"/api/v1/businesses/{public['id']}/").status_code == 200
    business = Business.objects.get(pk=public["id"])
    verifier = get_user_model().objects.create_user(username="verif-kanari", password="x" * 12)
    Membership.objects.create(user=verifier, role=Role.UMKM_VERIFIER)
    services.consent_record(business=business, actor=verifier, kind="listing", granted=False, channel="phone")
    assert client.get(f"/api/v1/businesses/{public['id']}/").status_code == 404
    for url in ("/ogc/collections/businesses/items?limit=1000", "/api/v1/layers/businesses/download.csv",
                "/api/v1/businesses/?q=usahakanari", "/peta/cari?q=USAHAKANARI"):
        assert public["canary"] not in _body(client.get(url)), url
