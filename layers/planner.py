"""Planners' spatial queries (issue 5): area statistics, features within a
geometry / a metric buffer / given desa, and DBSCAN hotspots.

Planners see aggregates of P0 and P1 categories and public layers' features,
never personal data and never P1/P2/P3 points. Every query is bounded: the
posted geometry (vertices), the buffer and DBSCAN radius (metres), the
result (features or rows) and the statement time (LAYERS_STATEMENT_TIMEOUT_MS);
past a bound the caller gets a PlannerError, which the API turns into a 400.

Statistics and hotspots run over a "point source": a SELECT of (id, geom,
category_code, status, created_at, desa_id, publication_class,
aggregate_level), given by layers.policy.planner for reports. Metric work happens in metres: geography
for buffers and distances, UTM zone 49S (EPSG:32749) for DBSCAN. Kubu Raya
(109.0-110.0 E, 1.0 S-0.2 N) lies inside zone 49 (108-114 E); the southern
false northing stays valid a few tens of km north of the equator.
"""
import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db.utils import OperationalError
from django.utils.translation import gettext as _

from .registry import Layer
from .selectors import _feature_expr, bounded_cursor

METRIC_SRID = 32749  # WGS 84 / UTM zone 49S
GROUPS = ("category", "period")
PERIODS = ("month", "quarter", "year")


class PlannerError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class PointSource:
    sql: str
    params: list


def _run(sql: str, params: list) -> list[tuple]:
    try:
        with bounded_cursor(settings.LAYERS_PLANNER_TIMEOUT_MS) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    except OperationalError as exc:
        if "statement timeout" in str(exc):
            raise PlannerError("query_timeout", _("Kueri melebihi batas waktu; persempit wilayah, periode "
                                                  "atau kategori.")) from None
        raise


def geometry_parse(geojson: dict | str) -> GEOSGeometry:
    """A posted GeoJSON geometry (EPSG:4326), checked: type, validity,
    coordinates in range, vertex count."""
    try:
        text = geojson if isinstance(geojson, str) else json.dumps(geojson)
        if isinstance(geojson, dict) and geojson.get("type") in ("Feature", "FeatureCollection"):
            raise PlannerError("invalid_geometry", _("Kirim geometri GeoJSON (bukan Feature)."))
        geometry = GEOSGeometry(text, srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise PlannerError("invalid_geometry", _("Geometri GeoJSON tidak valid.")) from None
    if geometry.geom_type not in ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                                  "MultiPolygon"):
        raise PlannerError("invalid_geometry", _("Jenis geometri tidak didukung."))
    if geometry.num_coords > settings.LAYERS_PLANNER_MAX_VERTICES:
        raise PlannerError("geometry_too_large", _("Geometri terlalu besar: maksimal %(n)s titik sudut.") % {
            "n": settings.LAYERS_PLANNER_MAX_VERTICES})
    try:
        minx, miny, maxx, maxy = geometry.extent
    except ValueError:  # NaN coordinates leave GEOS without an envelope
        raise PlannerError("invalid_geometry", _("Koordinat di luar rentang (bujur, lintang EPSG:4326).")) from None
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise PlannerError("invalid_geometry", _("Koordinat di luar rentang (bujur, lintang EPSG:4326)."))
    if geometry.empty or not geometry.valid:
        raise PlannerError("invalid_geometry", _("Geometri kosong atau tidak valid (mis. poligon berpotongan "
                                                 "sendiri)."))
    return geometry


def features_within(*, layer: Layer, geometry: GEOSGeometry | None = None, buffer_m: float | None = None,
                    desa_codes: list[str] | None = None) -> tuple[str, int]:
    """(GeoJSON features array as text, count) of `layer` intersecting the
    geometry, within `buffer_m` metres of it, or within the given desa."""
    if (geometry is None) == (not desa_codes):
        raise PlannerError("invalid_query", _("Berikan salah satu: geometry atau desa."))
    if buffer_m is not None:
        if geometry is None:
            raise PlannerError("invalid_query", _("buffer_m hanya berlaku dengan geometry."))
        if not 0 < buffer_m <= settings.LAYERS_PLANNER_MAX_BUFFER_M:
            raise PlannerError("buffer_too_large", _("buffer_m harus 0 < buffer_m <= %(max)s meter.") % {
                "max": settings.LAYERS_PLANNER_MAX_BUFFER_M})
    sql, params = layer.table_sql(None)
    if geometry is not None and buffer_m:
        # The geography buffer (a little wider) gives an index-usable box
        # in degrees without converting metres to degrees; ST_DWithin on
        # geography is the exact test in metres.
        area_sql = "ST_Buffer(ST_GeomFromEWKT(%s)::geography, %s)::geometry"
        where = (f"q.geom && {area_sql} AND ST_DWithin(q.geom::geography, ST_GeomFromEWKT(%s)::geography, %s)")
        where_params = [geometry.ewkt, buffer_m * 1.02 + 1, geometry.ewkt, buffer_m]
    elif geometry is not None:
        where = "q.geom && ST_GeomFromEWKT(%s) AND ST_Intersects(q.geom, ST_GeomFromEWKT(%s))"
        where_params = [geometry.ewkt, geometry.ewkt]
    else:
        where = """EXISTS (SELECT 1 FROM geo_area a
                      JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
                      JOIN geo_areapart p ON p.area_id = a.id
                     WHERE a.level = 'desa' AND a.code = ANY(%s)
                       AND p.geom && q.geom AND ST_Intersects(p.geom, q.geom))"""
        where_params = [list(desa_codes)]
    limit = settings.LAYERS_PLANNER_MAX_RESULTS
    rows = _run(
        f"SELECT COALESCE(json_agg({_feature_expr(layer, 'r')} ORDER BY r.id), '[]'::json)::text, count(*) "
        f"FROM (SELECT * FROM ({sql}) AS q WHERE {where} ORDER BY q.id LIMIT %s) AS r",
        [*params, *where_params, limit + 1])
    features, count = rows[0]
    if count > limit:
        raise PlannerError("result_too_large", _("Hasil melebihi %(max)s fitur; persempit geometri atau "
                                                 "gunakan statistik wilayah.") % {"max": limit})
    return features, count


def _month_floor(value) -> str | None:
    """A datetime's month in WIB as 'YYYY-MM' (planner windows are whole
    months: issue 16, a window moved by one report must not be a query)."""
    if value is None:
        return None
    from django.utils import timezone

    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.year:04d}-{local.month:02d}"


def _period_key(month: str, period: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    if period == "quarter":
        mon = (mon - 1) // 3 * 3 + 1
    elif period == "year":
        mon = 1
    return f"{year:04d}-{mon:02d}-01"


def area_statistics(*, source: PointSource | None = None, level: str, group_by: list[str], period: str | None = None,
                    start=None, end=None, categories: list[str] | None = None) -> list[dict]:
    """Counts per desa or kecamatan (and category / period), with per km2 and
    per 1,000 residents where the area and population are known.

    Issue 16: these are sums of the same rounded base cells as every public
    count (layers.policy.counts.report_count_cells: area at the category's
    aggregate level x category x month, rounded to a multiple of 5), so no
    window or grouping can be differenced into a single report. `start` and
    `end` select whole months (WIB): the months from start's month up to,
    not including, end's month. Counts per status are not available."""
    from .policy.counts import report_count_cells

    if level not in ("desa", "kecamatan"):
        raise PlannerError("invalid_query", _("level harus desa atau kecamatan."))
    unknown = set(group_by) - set(GROUPS)
    if unknown:
        raise PlannerError("invalid_query", _("group_by hanya boleh: category, period."))
    if "period" in group_by and period not in PERIODS:
        raise PlannerError("invalid_query", _("period harus month, quarter atau year."))
    first, last = _month_floor(start), _month_floor(end)
    wanted = set(categories or [])
    sums: dict[tuple, int] = {}
    names: dict[str, str] = {}
    for cell in report_count_cells():
        if level == "desa" and cell["level"] != "desa":
            continue  # kecamatan-only categories are never counted per desa
        if wanted and cell["category"]["code"] not in wanted:
            continue
        if (first and cell["month"] < first) or (last and cell["month"] >= last):
            continue
        area = cell["area"] if level == "desa" else cell["kecamatan"]
        names[area["code"]] = area["name"]
        key = (area["code"],
               cell["category"]["code"] if "category" in group_by else None,
               _period_key(cell["month"], period) if "period" in group_by else None)
        sums[key] = sums.get(key, 0) + cell["count"]
    limit = settings.LAYERS_PLANNER_MAX_RESULTS
    if len(sums) > limit:
        raise PlannerError("result_too_large", _("Terlalu banyak baris; kurangi pengelompokan atau periode."))
    facts = dict((code, (km2, population)) for code, km2, population in _run(
        "SELECT a.code, b.area_km2, a.population FROM geo_area a"
        " JOIN geo_edition e ON e.id = a.edition_id AND e.is_current"
        " LEFT JOIN geo_areaboundary b ON b.area_id = a.id WHERE a.code = ANY(%s)", [list(names)]))
    result = []
    for (code, category, period_key), count in sorted(sums.items(), key=lambda kv: tuple(str(k) for k in kv[0])):
        area_km2, population = facts.get(code, (None, None))
        item = {"code": code, "name": names[code]}
        if "category" in group_by:
            item["category"] = category
        if "period" in group_by:
            item["period"] = period_key
        item.update(count=count, area_km2=round(area_km2, 3) if area_km2 else None, population=population,
                    per_km2=round(count / area_km2, 4) if area_km2 else None,
                    per_1000_residents=round(count * 1000 / population, 4) if population else None)
        result.append(item)
    return result


def hotspots(*, source: PointSource, category: str, eps_m: float, min_points: int, start=None, end=None
             ) -> list[dict]:
    """Clusters (DBSCAN, `eps_m` metres, at least `min_points`) of reports
    of a category, as boxes with counts (issue 16: safe under window changes).

    The points are first snapped to the public grid (PUBLIC_GRID_DEG, the
    obfuscation of public points), the window is whole months (WIB, as
    area_statistics), the count is rounded to a multiple of 5, the centroid
    is snapped to the same grid, and the geometry is the bounding box of the
    snapped points grown by one grid step: nothing is finer than a public
    point, and widening a window by one report moves nothing by less than a
    grid step."""
    from django.utils import timezone

    from common.publication import PUBLIC_GRID_DEG, round_count

    if not 0 < eps_m <= settings.LAYERS_PLANNER_MAX_EPS_M:
        raise PlannerError("invalid_query", _("eps_m harus 0 < eps_m <= %(max)s meter.") % {
            "max": settings.LAYERS_PLANNER_MAX_EPS_M})
    if not 5 <= min_points <= 1000:
        # At least 5, the small-count threshold: a cluster never describes
        # fewer reports than a published count may.
        raise PlannerError("invalid_query", _("min_points harus 5..1000."))
    # Clusters are finer than a desa: only for categories countable per desa.
    where, params = ["s.category_code = %s", "s.aggregate_level = 'desa'"], [*source.params, category]
    tz = timezone.get_default_timezone_name()
    if start is not None:
        where.append(f"s.created_at >= date_trunc('month', %s::timestamptz AT TIME ZONE '{tz}') AT TIME ZONE '{tz}'")
        params.append(start)
    if end is not None:
        where.append(f"s.created_at < date_trunc('month', %s::timestamptz AT TIME ZONE '{tz}') AT TIME ZONE '{tz}'")
        params.append(end)
    limit = settings.LAYERS_PLANNER_MAX_RESULTS
    grid = PUBLIC_GRID_DEG
    # Raw SQL: window-function DBSCAN (ST_ClusterDBSCAN) in a metric CRS, over
    # the snapped points.
    sql = f"""
        WITH pts AS (
            SELECT ST_SnapToGrid(s.geom, {grid}) AS p FROM ({source.sql}) AS s
             WHERE {' AND '.join(where)}),
        clustered AS (
            SELECT ST_ClusterDBSCAN(ST_Transform(p, {METRIC_SRID}), eps := %s, minpoints := %s) OVER () AS cid, p
              FROM pts)
        SELECT cid, count(*) AS n,
               ST_AsGeoJSON(ST_Expand(ST_Envelope(ST_Collect(p)), {grid}), 6),
               ST_X(ST_SnapToGrid(ST_Centroid(ST_Collect(p)), {grid})),
               ST_Y(ST_SnapToGrid(ST_Centroid(ST_Collect(p)), {grid}))
          FROM clustered WHERE cid IS NOT NULL
         GROUP BY cid ORDER BY n DESC, cid LIMIT %s"""
    rows = _run(sql, [*params, eps_m, min_points, limit])
    return [{"type": "Feature", "id": index + 1, "geometry": json.loads(geometry),
             "properties": {"count": round_count(count), "category": category, "eps_m": eps_m,
                            "min_points": min_points, "centroid": [round(x, 6), round(y, 6)]}}
            for index, (_cid, count, geometry, x, y) in enumerate(rows)]
