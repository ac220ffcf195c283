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

from .policy.classes import PublicationClass, suppress
from .registry import Layer
from .selectors import _feature_expr, bounded_cursor

METRIC_SRID = 32749  # WGS 84 / UTM zone 49S
GROUPS = ("category", "status", "period")
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


def area_statistics(*, source: PointSource, level: str, group_by: list[str], period: str | None = None,
                    start=None, end=None, categories: list[str] | None = None) -> list[dict]:
    """Counts per desa or kecamatan (and category / status / period), with
    per km2 and per 1,000 residents where the area and population are known.
    Cells holding reports of non-P0 categories below the threshold are shown
    as "<5" (no densities)."""
    if level not in ("desa", "kecamatan"):
        raise PlannerError("invalid_query", _("level harus desa atau kecamatan."))
    unknown = set(group_by) - set(GROUPS)
    if unknown:
        raise PlannerError("invalid_query", _("group_by hanya boleh: category, status, period."))
    if "period" in group_by and period not in PERIODS:
        raise PlannerError("invalid_query", _("period harus month, quarter atau year."))
    area_join = "a.id = d.id" if level == "desa" else "a.id = d.parent_id"
    inner, outer = [], []
    if "category" in group_by:
        inner.append("s.category_code AS category")
    if "status" in group_by:
        inner.append("s.status AS status")
    if "period" in group_by:
        # Periods in local time (Asia/Pontianak, WIB), as planners read them.
        # Truncated per row, formatted per cell (to_char on every row is slow).
        inner.append(f"date_trunc('{period}', s.created_at AT TIME ZONE 'Asia/Pontianak') AS period")
    outer = [f"c.{g}" for g in GROUPS if g in group_by]
    # Kecamatan-only categories (violence, crime, maladministration) are never
    # counted per desa.
    levels = ["desa"] if level == "desa" else ["desa", "kecamatan"]
    where, params = ["s.aggregate_level = ANY(%s)"], [*source.params, levels]
    if start is not None:
        where.append("s.created_at >= %s")
        params.append(start)
    if end is not None:
        where.append("s.created_at < %s")
        params.append(end)
    if categories:
        where.append("s.category_code = ANY(%s)")
        params.append(list(categories))
    inner_cols = "".join(f", {c}" for c in inner)
    outer_cols = "".join(f", to_char({c}, 'YYYY-MM-DD')" if c == "c.period" else f", {c}" for c in outer)
    group = ["a.code", "a.name", "b.area_km2", "a.population", *outer]
    limit = settings.LAYERS_PLANNER_MAX_RESULTS
    # Raw SQL: grouping by a chosen subset of columns over a source given as
    # SQL (the policy's) is not expressible through the ORM. The points are
    # counted per desa first (a hash aggregate on small keys), then the few
    # thousand cells are joined to the areas.
    sql = f"""
        WITH c AS (
            SELECT s.desa_id{inner_cols}, count(*) AS n, bool_or(s.publication_class <> %s) AS restricted
              FROM ({source.sql}) AS s
             WHERE {' AND '.join(where)}
             GROUP BY 1{''.join(f', {i + 2}' for i in range(len(inner)))})
        SELECT a.code, a.name, b.area_km2, a.population{outer_cols}, sum(c.n)::bigint AS n,
               bool_or(c.restricted) AS restricted
          FROM c
          JOIN geo_area d ON d.id = c.desa_id
          JOIN geo_area a ON {area_join}
          LEFT JOIN geo_areaboundary b ON b.area_id = a.id
         GROUP BY {', '.join(group)}
         ORDER BY {', '.join(["a.code", *outer])}
         LIMIT %s"""
    rows = _run(sql, [PublicationClass.P0, *params, limit + 1])
    if len(rows) > limit:
        raise PlannerError("result_too_large", _("Terlalu banyak baris; kurangi pengelompokan atau periode."))
    names = [g for g in ("category", "status", "period") if g in group_by]
    result = []
    for row in rows:
        code, name, area_km2, population, *grouped, count, restricted = row
        shown = suppress(count) if restricted else count
        exact = isinstance(shown, int)
        item = {"code": code, "name": name, **dict(zip(names, grouped)), "count": shown,
                "area_km2": round(area_km2, 3) if area_km2 else None, "population": population,
                "per_km2": round(count / area_km2, 4) if exact and area_km2 else None,
                "per_1000_residents": round(count * 1000 / population, 4) if exact and population else None}
        result.append(item)
    return result


def hotspots(*, source: PointSource, category: str, eps_m: float, min_points: int, start=None, end=None
             ) -> list[dict]:
    """Clusters (DBSCAN, `eps_m` metres, at least `min_points`) of reports
    of a category, as polygons with counts. The polygon is the convex hull
    buffered by eps_m, so that its vertices are not report locations."""
    if not 0 < eps_m <= settings.LAYERS_PLANNER_MAX_EPS_M:
        raise PlannerError("invalid_query", _("eps_m harus 0 < eps_m <= %(max)s meter.") % {
            "max": settings.LAYERS_PLANNER_MAX_EPS_M})
    if not 5 <= min_points <= 1000:
        # At least 5, the small-count threshold: a cluster never describes
        # fewer reports than a published count may.
        raise PlannerError("invalid_query", _("min_points harus 5..1000."))
    # Clusters are finer than a desa: only for categories countable per desa.
    where, params = ["s.category_code = %s", "s.aggregate_level = 'desa'"], [*source.params, category]
    if start is not None:
        where.append("s.created_at >= %s")
        params.append(start)
    if end is not None:
        where.append("s.created_at < %s")
        params.append(end)
    limit = settings.LAYERS_PLANNER_MAX_RESULTS
    # Raw SQL: window-function DBSCAN (ST_ClusterDBSCAN) in a metric CRS.
    sql = f"""
        WITH pts AS (
            SELECT ST_Transform(s.geom, {METRIC_SRID}) AS g FROM ({source.sql}) AS s
             WHERE {' AND '.join(where)}),
        clustered AS (
            SELECT ST_ClusterDBSCAN(g, eps := %s, minpoints := %s) OVER () AS cid, g FROM pts)
        SELECT cid, count(*) AS n,
               ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_ConvexHull(ST_Collect(g)), %s), 4326), 6),
               ST_X(ST_Transform(ST_Centroid(ST_Collect(g)), 4326)), ST_Y(ST_Transform(ST_Centroid(ST_Collect(g)), 4326))
          FROM clustered WHERE cid IS NOT NULL
         GROUP BY cid ORDER BY n DESC, cid LIMIT %s"""
    rows = _run(sql, [*params, eps_m, min_points, eps_m, limit])
    return [{"type": "Feature", "id": index + 1, "geometry": json.loads(geometry),
             "properties": {"count": count, "category": category, "eps_m": eps_m, "min_points": min_points,
                            "centroid": [round(x, 6), round(y, 6)]}}
            for index, (_cid, count, geometry, x, y) in enumerate(rows)]
