"""The report-counts layer as map tiles: one month per tile (the current
month unless `period=YYYY-MM`), every area's polygon once per category, and
tiles that follow the counts when they are rebuilt (not only when a report
changes, which is before the counts know it)."""
import datetime
import uuid

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from geo.selectors import point_locate
from tests.tiles.conftest import decode, tile_of
from tiles import sources

pytestmark = pytest.mark.django_db

SUNGAI_RAYA = (109.37235561811173, -0.07154622349995066)
Z = 10


@pytest.fixture
def sick(kubu_raya):
    from reports.models import Category

    category, _ = Category.objects.update_or_create(
        code="uji-sakit-ubin", version=1, defaults={"name_id": "Uji sakit", "name_en": "Test sick",
                                                   "publication_class": "P1", "aggregate_level": "desa",
                                                   "target_days": 5})
    return category


def _reports(category, n: int, when: datetime.datetime):
    from reports.models import Report

    where = point_locate(lon=SUNGAI_RAYA[0], lat=SUNGAI_RAYA[1], with_service_areas=False)
    for i in range(n):
        Report.objects.create(
            id=uuid.uuid4(), tracking_code=f"KR-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}",
            category=category, status="received", location=Point(SUNGAI_RAYA[0] + i * 1e-4, SUNGAI_RAYA[1]),
            accuracy_m=5, desa=where.desa, kecamatan=where.kecamatan, created_at=when, updated_at=when,
            deadline=when.date() + datetime.timedelta(days=14), description="uji")
    return where.desa.code


def _tile(client, query=""):
    x, y = tile_of(*SUNGAI_RAYA, Z)
    response = client.get(f"/tiles/report-counts/{Z}/{x}/{y}.mvt{query}")
    assert response.status_code in (200, 204), response.content
    return response, (decode(response.content).get("report-counts", {}).get("features", [])
                      if response.status_code == 200 else [])


def _cells(features, desa, category) -> list[dict]:
    """The properties of the tile's cells of one desa and category."""
    return [f["properties"] for f in features
            if f["properties"]["area_code"] == desa and f["properties"]["category_code"] == category.code]


def test_a_tile_holds_one_month_the_current_one_by_default(client, sick, tile_cache):
    now = timezone.localtime()
    march = datetime.datetime(2026, 3, 10, 2, tzinfo=datetime.timezone.utc)
    desa = _reports(sick, 6, march)
    _reports(sick, 5, timezone.now())

    _, features = _tile(client)
    periods = {f["properties"]["period"] for f in features}
    assert periods == {now.strftime("%Y-%m")}
    # One feature per area and category: the polygon is not repeated per month.
    keys = [(f["properties"]["area_code"], f["properties"]["category_code"]) for f in features]
    assert len(keys) == len(set(keys))
    assert [(c["count"], c["count_display"]) for c in _cells(features, desa, sick)] == [(5, "5")]

    _, features = _tile(client, "?period=2026-03")
    assert {f["properties"]["period"] for f in features} == {"2026-03"}
    assert [c["count"] for c in _cells(features, desa, sick)] == [5]  # 6, rounded to the nearest 5


@pytest.mark.parametrize("period", ["2026-3", "2026-13", "2026-03-01/2026-03-31", "maret"])
def test_a_period_that_is_not_a_month_is_a_clear_400(client, sick, tile_cache, period):
    x, y = tile_of(*SUNGAI_RAYA, Z)
    response = client.get(f"/tiles/report-counts/{Z}/{x}/{y}.mvt?period={period}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter"


def test_the_default_month_is_not_a_filter_for_the_cache(sick):
    """The unfiltered tile keeps the shared cache key and the edge file: the
    month is a default of the build, and a new month rebuilds the counts
    (layers.services._refresh_due), which drops the layer's tiles."""
    layer = sources.layer_get("report-counts")
    assert sources.filters_for(layer, {}) == {"properties": {"period": timezone.localtime().strftime("%Y-%m")}}
    assert sources.filters_for(layer, {"period": "2025-12"}) == {"properties": {"period": "2025-12"}}


def test_a_rebuild_of_the_counts_drops_the_cached_tiles(client, sick, tile_cache,
                                                       django_capture_on_commit_callbacks):
    """A report's own signal arrives before the counts are rebuilt (in the
    background in production): a tile built in between shows the old count
    and must not outlive the rebuild."""
    from layers.services import report_counts_refresh

    desa = _reports(sick, 5, timezone.now())
    report_counts_refresh(force=True)
    response, features = _tile(client)
    assert response["X-Tile-Cache"] == "miss"
    assert [c["count"] for c in _cells(features, desa, sick)] == [5]
    assert _tile(client)[0]["X-Tile-Cache"] == "hit"

    # Reports written without the signal (a bulk import), then the rebuild.
    _reports(sick, 3, timezone.now())
    assert _tile(client)[0]["X-Tile-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        report_counts_refresh(force=True)
    response, features = _tile(client)
    assert response["X-Tile-Cache"] == "miss"
    assert [c["count"] for c in _cells(features, desa, sick)] == [10]  # 8, rounded to the nearest 5


def test_a_report_write_drops_the_cached_tiles_where_a_read_starts_the_rebuild(client, sick, tile_cache, settings):
    """On an install without a beat worker the counts are rebuilt when a
    report-counts read misses the cache (in the background): a report's
    signal must drop the cached tiles, or reads would keep hitting the old
    tile and never start the rebuild (tiles live TILES_CACHE_TTL, a week)."""
    from layers.services import report_counts_refresh
    from reports.models import Report
    from reports.signals import report_changed

    settings.LAYERS_REPORT_COUNTS_REFRESH_INLINE = False
    _reports(sick, 5, timezone.now())
    report_counts_refresh(force=True)
    _tile(client)
    assert _tile(client)[0]["X-Tile-Cache"] == "hit"
    report_changed.send(sender=Report, report_id=None, old_location=None, new_location=Point(*SUNGAI_RAYA))
    assert _tile(client)[0]["X-Tile-Cache"] == "miss"


def test_a_new_month_makes_the_counts_due(kubu_raya):
    from layers.models import SummaryState
    from layers.services import _refresh_due

    end_of_october = datetime.datetime(2026, 10, 31, 16, 30, tzinfo=datetime.timezone.utc)  # 23:30 WIB
    state = SummaryState(name="x", refreshed_at=end_of_october, dirty=False)
    assert not _refresh_due(state, end_of_october + datetime.timedelta(minutes=20))  # 23:50 WIB, October
    assert _refresh_due(state, end_of_october + datetime.timedelta(minutes=40))  # 00:10 WIB, 1 November


def test_report_point_tiles_carry_what_the_map_shows_and_the_tilejson_says_so(client, kubu_raya, tile_cache):
    """A dense point tile costs per feature and attribute: report points carry
    the category, status and supporters (map style and popup); names of desa
    and agency, dates and the rest are one OGC item away."""
    from reports.models import Category

    road, _ = Category.objects.update_or_create(
        code="uji-jalan-ubin", version=1, defaults={"name_id": "Uji jalan", "name_en": "Test road",
                                                   "publication_class": "P0", "aggregate_level": "desa",
                                                   "target_days": 5})
    _reports(road, 1, timezone.now())
    x, y = tile_of(*SUNGAI_RAYA, 16)
    response = client.get(f"/tiles/reports/16/{x}/{y}.mvt")
    assert response.status_code == 200
    (feature,) = decode(response.content)["reports"]["features"]
    # The uuid travels as a property (MVT ids are integers): the map's link to the item.
    assert set(feature["properties"]) == {"id", "category_code", "category_name", "status", "supporters_count"}
    assert feature["properties"]["category_name"] == "Uji jalan"
    (entry,) = client.get("/tiles/reports.json").json()["vector_layers"]
    assert set(entry["fields"]) - {"id", "count"} == {"category_code", "category_name", "status", "supporters_count"}
