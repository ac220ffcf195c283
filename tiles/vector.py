"""Vector tiles (MVT) built in PostGIS: one parameterised statement per tile.

Raw SQL because the ORM cannot say ST_AsMVT. Each layer's rows come from the
layer registry (`Layer.table_sql`, already restricted by the publication
policy); this module only wraps them. Table and column names come from the
registry and are quoted here, never taken from the request; values are bound.

Invariants (martin, django-vectortiles, prior-art.md "Tiles"):
- `&&` on the bare geometry column against the tile envelope transformed to
  EPSG:4326 and expanded by the buffer, so the GiST index is used; the
  registry's SELECT is flat, so PostgreSQL pushes the test down to it.
- Integer SRIDs (a text CRS name costs ~10 ms per feature on PostGIS 3.3).
- extent 4096, buffer 64, clip on; no SELECT *.
- Point layers at low zooms are clusters: one point per grid cell (the mean
  position of its points) with a `count`; a cluster tile also carries the
  cells within aggregates.CLUSTER_MARGIN_CELLS of its edges, so a circle near
  an edge is drawn whole. For the reports layer the cells
  are precomputed (tiles.aggregates) and kept current by triggers, so a
  whole-regency tile reads a few thousand rows instead of a million.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from common.db import prepared_cursor
from tiles import aggregates


class TileOutOfRange(Exception):
    pass


@dataclass(frozen=True)
class TileRequest:
    z: int
    x: int
    y: int

    def check(self, min_zoom: int = 0, max_zoom: int | None = None) -> None:
        max_zoom = settings.TILES_MAX_ZOOM if max_zoom is None else max_zoom
        if not (min_zoom <= self.z <= max_zoom):
            raise TileOutOfRange(f"zoom {self.z} outside {min_zoom}..{max_zoom}")
        n = 2 ** self.z
        if not (0 <= self.x < n and 0 <= self.y < n):
            raise TileOutOfRange(f"tile {self.x},{self.y} outside zoom {self.z}")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def layer_fields(layer) -> dict[str, str]:
    """The property names a tile of the layer carries, and their types: the
    published fields, or the layer's `tile_fields` subset of them."""
    types = getattr(layer, "field_types", None)
    types = dict(types) if types else {f: "string" for f in layer.fields}
    subset = getattr(layer, "tile_fields", None)
    return {f: types[f] for f in subset if f in types} if subset else types


def is_point_layer(layer) -> bool:
    return layer.geometry_type in ("Point", "MultiPoint")


def clusters_at(layer, z: int) -> bool:
    return is_point_layer(layer) and z < settings.TILES_POINTS_MIN_ZOOM


# The envelope in EPSG:4326, expanded by the tile buffer expressed in degrees
# of the tile's own width (a tile-relative margin, not a distance).
_ENVELOPE_4326 = ("ST_Expand(ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326), "
                  "(%s::float8 / %s) * 360.0 / (2 ^ %s))")


def _envelope_params(t: TileRequest) -> list:
    return [t.z, t.x, t.y, settings.TILES_BUFFER, settings.TILES_EXTENT, t.z]


def _features_sql(layer, t: TileRequest, filters: dict | None) -> tuple[str, list]:
    """ST_AsMVT of one layer's features in the tile: the exact geometries.
    With a `tile_geometry_key`, each shared geometry is transformed and
    clipped once and joined back to its features."""
    src_sql, src_params = layer.table_sql(filters)
    fields = list(layer_fields(layer))
    integer_id = getattr(layer, "id_type", "string") == "integer"
    props = ", ".join(f"s.{_q(f)}" for f in fields if f != "id")
    id_col = "s.id" if integer_id else "s.id::text AS id"
    asmvt = "COALESCE(ST_AsMVT(mvt, %s, %s, 'geom'" + (", 'id'" if integer_id else "") + "), ''::bytea)"
    mvt_geom = "ST_AsMVTGeom(ST_Transform(s.geom, 3857), ST_TileEnvelope(%s, %s, %s), %s, %s, true)"
    head_params = [layer.id, settings.TILES_EXTENT]
    geom_params = [t.z, t.x, t.y, settings.TILES_EXTENT, settings.TILES_BUFFER]
    key = getattr(layer, "tile_geometry_key", None)
    if key:
        key = _q(key)
        sql = (
            "(WITH s AS MATERIALIZED (SELECT * FROM (" + src_sql + ") AS s WHERE s.geom && " + _ENVELOPE_4326 + "),"
            " g AS MATERIALIZED (SELECT s.key, " + mvt_geom + " AS geom FROM (SELECT DISTINCT ON (s." + key + ") s."
            + key + " AS key, s.geom FROM s ORDER BY s." + key + ") AS s)"
            " SELECT " + asmvt +
            " FROM (SELECT " + id_col + ", g.geom" + (", " + props if props else "") +
            " FROM s JOIN g ON g.key = s." + key + " WHERE g.geom IS NOT NULL LIMIT %s) AS mvt)"
        )
        params = [*src_params, *_envelope_params(t), *geom_params, *head_params, settings.TILES_MAX_FEATURES]
        return sql, params
    sql = (
        "(SELECT " + asmvt + " FROM (SELECT " + id_col + ", " + mvt_geom + " AS geom"
        + (", " + props if props else "") +
        " FROM (" + src_sql + ") AS s"
        " WHERE s.geom && " + _ENVELOPE_4326 +
        " LIMIT %s) AS mvt WHERE mvt.geom IS NOT NULL)"
    )
    params = [*head_params, *geom_params, *src_params, *_envelope_params(t), settings.TILES_MAX_FEATURES]
    return sql, params


# From this zoom a point tile of a layer with `tile_points_regency` names the regencies
# it touches (Citus only): a tile inside one regency is then a router query.
REGENCY_MIN_ZOOM = 9

# The regencies a tile's box (EPSG:3857, with its buffer) may hold points of: those
# whose outline (geo_regencyoutline, a reference table on Citus) meets the box grown
# by a margin in degrees (a report's regency is its desa's, found within
# GEO_NEAREST_TOLERANCE_M of the desa, and its public point is snapped to a grid), and
# every regency of the current edition without an outline (loaded by
# geo_load_kubu_raya, not geo_load_kalbar). NULL when no outline is loaded at all.
_TILE_REGENCIES_SQL = """
WITH env AS (SELECT ST_Expand(ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 3857), 4326), %s) AS g),
     cur AS (SELECT id FROM geo_edition WHERE is_current)
SELECT CASE WHEN EXISTS (SELECT 1 FROM geo_regencyoutline o JOIN cur ON cur.id = o.edition_id) THEN
  ARRAY(SELECT o.code FROM geo_regencyoutline o JOIN cur ON cur.id = o.edition_id, env
         WHERE o.geom && env.g AND ST_Intersects(o.geom, env.g)
        UNION
        SELECT a.code FROM geo_area a JOIN cur ON cur.id = a.edition_id
         WHERE a.level = 'kabupaten' AND NOT EXISTS (
               SELECT 1 FROM geo_regencyoutline o WHERE o.edition_id = a.edition_id AND o.code = a.code)
        ORDER BY 1) END
"""


def tile_regencies(box: list[float]) -> list[str] | None:
    """The regency codes whose reports a point tile with this box (EPSG:3857) may
    show, or None when the tile is not narrowed by regency (no outlines loaded)."""
    from common.publication import PUBLIC_GRID_DEG
    from geo.selectors import lookup_margin_deg

    top = math.degrees(math.atan(math.sinh(box[3] / aggregates.MERC_HALF * math.pi)))
    bottom = math.degrees(math.atan(math.sinh(box[1] / aggregates.MERC_HALF * math.pi)))
    margin = lookup_margin_deg(max_abs_lat=max(abs(top), abs(bottom))) + 2 * PUBLIC_GRID_DEG
    with connection.cursor() as cursor:
        cursor.execute(_TILE_REGENCIES_SQL, [*box, margin])
        (codes,) = cursor.fetchone()
    return codes


def regency_clause(column: str | None, t: TileRequest, box: list[float]) -> tuple[str, list]:
    """`AND <column> = %s` (or `= ANY(%s)`) naming the regencies whose outline
    meets `box` (EPSG:3857), for a tile on Citus at z >= REGENCY_MIN_ZOOM: the
    tile names its shards (docs/scaling.md). Nothing on one PostgreSQL, for a
    layer without a regency column, or when no outline is loaded."""
    if not (settings.KR_CITUS and column and t.z >= REGENCY_MIN_ZOOM):
        return "", []
    codes = tile_regencies(box)
    if codes is None:
        return "", []
    if len(codes) == 1:
        return f" AND {column} = %s", [codes[0]]
    return f" AND {column} = ANY(%s)", [codes]


def _mercator_points_sql(layer, t: TileRequest, filters: dict | None) -> tuple[str, list]:
    """ST_AsMVT of a point layer with a narrow copy for tiles holding the
    point in Web Mercator (`tile_points_sql`: geom_3857 for the GiST index,
    x and y as numbers). The tile's bounds are computed here and bound as
    numbers, so nothing about the tile is computed per row (a generic plan
    evaluated ST_TileEnvelope for each row of the filter: twice the CPU).
    The rows are selected by the index against the tile grown by the buffer,
    kept when inside it (the index box is float4, ~1 m in Web Mercator: many
    tile units at z18), and each point is placed by arithmetic on x and y
    (tile units from the tile's corner, rounded): what ST_AsMVTGeom does for
    a point, without the transform, the clip and the geometry reads per
    point (issue 25, docs/benchmarks.md)."""
    src_sql, src_params = layer.tile_points_table_sql(filters)
    fields = list(layer_fields(layer))
    integer_id = getattr(layer, "id_type", "string") == "integer"
    props = "".join(f", s.{_q(f)}" for f in fields if f != "id")
    sql = (
        "(SELECT COALESCE(ST_AsMVT(mvt, %s, %s, 'geom'" + (", 'id'" if integer_id else "") + "), ''::bytea)"
        " FROM (SELECT " + ("s.id" if integer_id else "s.id::text AS id") + ","
        " ST_MakePoint(round((s.x - %s::float8) * %s::float8), round((%s::float8 - s.y) * %s::float8)) AS geom"
        + props +
        " FROM (" + src_sql + ") AS s"
        " WHERE s.geom_3857 && ST_MakeEnvelope(%s, %s, %s, %s, 3857)"
        " AND s.x BETWEEN %s::float8 AND %s::float8 AND s.y BETWEEN %s::float8 AND %s::float8"
        "{regency} LIMIT %s) AS mvt)"
    )
    size = 2 * aggregates.MERC_HALF / 2 ** t.z
    x0, y1 = -aggregates.MERC_HALF + t.x * size, aggregates.MERC_HALF - t.y * size
    k = settings.TILES_EXTENT / size
    # Half a tile unit more than the buffer: a point that rounds onto the
    # buffer's edge is in, as with ST_AsMVTGeom.
    pad = (settings.TILES_BUFFER + 0.5) / k
    box = [x0 - pad, y1 - size - pad, x0 + size + pad, y1 + pad]
    column = getattr(layer, "tile_points_regency", None)
    regency, regency_params = regency_clause(f"s.{_q(column)}" if column else None, t, box)
    sql = sql.replace("{regency}", regency)
    params = [layer.id, settings.TILES_EXTENT, x0, k, y1, k, *src_params, *box,
              box[0], box[2], box[1], box[3], *regency_params, settings.TILES_MAX_FEATURES]
    return sql, params


def _live_clusters_sql(layer, t: TileRequest, filters: dict | None) -> tuple[str, list]:
    """Clusters computed from the layer's rows: for small point layers, and
    for report queries the precomputed cells cannot answer (a period)."""
    src_sql, src_params = layer.table_sql(filters)
    cells = settings.TILES_CELLS_PER_TILE
    sql = (
        "(SELECT COALESCE(ST_AsMVT(mvt, %s, %s, 'geom'), ''::bytea) FROM ("
        " SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(p.mx), avg(p.my)), 3857),"
        "   ST_TileEnvelope(%s, %s, %s), %s, %s, true) AS geom, count(*)::int AS count"
        " FROM (SELECT ST_X(g) AS mx, ST_Y(g) AS my,"
        "   floor((ST_X(g) + %s) / %s)::int AS cx, floor((%s - ST_Y(g)) / %s)::int AS cy"
        "   FROM (SELECT ST_Transform(s.geom, 3857) AS g FROM (" + src_sql + ") AS s"
        "         WHERE s.geom && ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => %s), 4326)) AS pts) AS p"
        " WHERE p.cx BETWEEN %s AND %s AND p.cy BETWEEN %s AND %s"
        " GROUP BY p.cx, p.cy) AS mvt WHERE mvt.geom IS NOT NULL)"
    )
    size = aggregates.cell_size(t.z)
    # the tile's cells and the margin's (aggregates.CLUSTER_MARGIN_CELLS): a cluster near an edge is whole
    m = aggregates.CLUSTER_MARGIN_CELLS
    params = [layer.id, settings.TILES_EXTENT, t.z, t.x, t.y, settings.TILES_EXTENT, aggregates.cluster_buffer(),
              aggregates.MERC_HALF, size, aggregates.MERC_HALF, size,
              *src_params, t.z, t.x, t.y, m / cells,
              t.x * cells - m, t.x * cells + cells - 1 + m, t.y * cells - m, t.y * cells + cells - 1 + m]
    return sql, params


def layer_tile_sql(layer, t: TileRequest, filters: dict | None) -> tuple[str, list]:
    if clusters_at(layer, t.z):
        precomputed = aggregates.cells_sql(layer, t, filters)
        if precomputed is not None:
            return precomputed
        return _live_clusters_sql(layer, t, filters)
    if layer.geometry_type == "Point" and getattr(layer, "tile_points_sql", None):
        return _mercator_points_sql(layer, t, filters)
    return _features_sql(layer, t, filters)


def tile_sql(items: list[tuple], t: TileRequest) -> tuple[str, list]:
    """One statement for a tile of one or several layers, given as
    (layer, filters) pairs; MVT layers are concatenated, which the format
    allows."""
    parts, params = [], []
    for layer, filters in items:
        sql, p = layer_tile_sql(layer, t, filters)
        parts.append(sql)
        params += p
    return "SELECT " + " || ".join(parts), params


def tile_render(items: list[tuple], t: TileRequest) -> bytes:
    sql, params = tile_sql(items, t)
    # Point features are prepared (common.db): planning a z16 reports tile
    # took 0.4 ms of its 1.0 ms. Clusters and polygons are not: their generic
    # plans were slower than planning each time (report cells z10: 11.5 ms vs
    # 8.3 ms; kecamatan z8: 6.2 ms vs 5.3 ms).
    prepare = all(is_point_layer(layer) and not clusters_at(layer, t.z) for layer, _ in items)
    with prepared_cursor() if prepare else connection.cursor() as cursor:
        cursor.execute(sql, params)
        (body,) = cursor.fetchone()
    return bytes(body or b"")


# --- TileJSON ---------------------------------------------------------------------

_TILEJSON_TYPES = {"string": "String", "integer": "Number", "number": "Number", "boolean": "Boolean",
                   "date-time": "String (ISO 8601)"}


def vector_layer(layer) -> dict:
    """A TileJSON vector_layers entry: the fields each feature carries."""
    fields = {name: _TILEJSON_TYPES.get(kind, "String") for name, kind in layer_fields(layer).items()}
    if getattr(layer, "id_type", "string") != "integer":
        # A text id (desa code, report UUID) travels as the property `id`
        # (MapLibre: promoteId "id"); an integer id is the MVT feature id
        # itself (feature-state works as is), not a property.
        fields.setdefault("id", "String")
    entry = {"id": layer.id, "description": str(layer.description), "minzoom": 0,
             "maxzoom": settings.TILES_MAX_ZOOM, "fields": fields}
    if is_point_layer(layer):
        entry["fields"] = {**fields, "count": f"Number (clusters below zoom {settings.TILES_POINTS_MIN_ZOOM})"}
    return entry


def attribution(layers: list) -> str:
    """One attribution string for every TileJSON of the built-in layers (a
    map combining several sources shows it once: MapLibre stacks strings
    that differ at all), then the licence of any other layer (a dataset)."""
    from geo.attribution import DATA_ATTRIBUTION
    from layers.registry import BOUNDARY_LICENCE, SERVICE_LICENCE

    standard = f"Pemerintah Kabupaten Kubu Raya, {SERVICE_LICENCE} | MIT License. {DATA_ATTRIBUTION}"
    known = {SERVICE_LICENCE, BOUNDARY_LICENCE, f"{SERVICE_LICENCE}; batas wilayah: {BOUNDARY_LICENCE}"}
    parts = [standard]
    for layer in layers:
        notice = str(getattr(layer, "licence", "") or "")
        if notice and notice not in known and notice not in parts:
            parts.append(notice)
    return " | ".join(parts)


def layers_bounds(layers: list) -> list[float]:
    """[west, south, east, north] in EPSG:4326: the extent of polygon layers,
    the regency's for point layers (a million points need not be scanned to
    say where the regency is)."""
    boxes = []
    with connection.cursor() as cursor:
        for layer in layers:
            if is_point_layer(layer):
                cursor.execute(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(b.geom) AS e"
                    " FROM geo_areaboundary b JOIN geo_area a ON a.id = b.area_id"
                    " JOIN geo_edition ed ON ed.id = a.edition_id AND ed.is_current"
                    " WHERE a.level = 'kecamatan') AS x")
            else:
                sql, params = layer.table_sql(None)
                cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
                               " FROM (SELECT ST_Extent(s.geom) AS e FROM (" + sql + ") AS s) AS x", params)
            row = cursor.fetchone()
            if row and row[0] is not None:
                boxes.append(row)
    if not boxes:
        return [-180.0, -85.0511, 180.0, 85.0511]
    return [round(min(b[0] for b in boxes), 6), round(min(b[1] for b in boxes), 6),
            round(max(b[2] for b in boxes), 6), round(max(b[3] for b in boxes), 6)]
