"""Precomputed clusters of the reports layer for the low zooms.

A grid of TILES_CELLS_PER_TILE x TILES_CELLS_PER_TILE cells per tile, per
zoom below TILES_POINTS_MIN_ZOOM, in Web Mercator (the grid of the tiles
themselves, so a cell never straddles two tiles). Each row of
`tiles_reportcell` counts the reports of one category, status and
confidentiality in one cell and sums their Mercator coordinates, so a tile
shows one point per cell at the mean position of its reports.

The table holds every report (it is internal, never published as is); the
tile statement keeps only the rows the publication policy allows
(layers.policy.tiles). Triggers on reports_report keep it current in the
same transaction as the write (migration 0002): statement-level with
transition tables, so a COPY of a million rows is one set-based update.
"""
from __future__ import annotations

from django.conf import settings
from django.db import connection

# Half the Web Mercator world width, metres (EPSG:3857).
MERC_HALF = 20037508.342789244


def cell_size(z: int) -> float:
    """Cell width at zoom z in Mercator metres."""
    return 2 * MERC_HALF / (2 ** z * settings.TILES_CELLS_PER_TILE)


def reports_ready() -> bool:
    return "tiles_reportcell" in connection.introspection.table_names() and \
        "reports_report" in connection.introspection.table_names()


def cells_sql(layer, t, filters: dict | None) -> tuple[str, list] | None:
    """The tile statement reading precomputed cells, or None when the cells
    cannot answer (another layer, or a period filter: cells hold no time)."""
    if layer.id != settings.TILES_REPORTS_LAYER:
        return None
    filters = filters or {}
    if set(filters) - {"properties"}:
        return None
    props = dict(filters.get("properties") or {})
    if set(props) - {"category", "status"}:
        return None
    from layers.policy import tiles as tiles_policy

    where, params = tiles_policy.report_cells_public_where("c")
    if "category" in props:
        where.append("c.category_id IN (SELECT id FROM reports_category WHERE code = %s)")
        params.append(str(props["category"]))
    if "status" in props:
        where.append("c.status = %s")
        params.append(str(props["status"]))
    cells = settings.TILES_CELLS_PER_TILE
    sql = (
        "(SELECT COALESCE(ST_AsMVT(mvt, %s, %s, 'geom'), ''::bytea) FROM ("
        " SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(sum(c.sum_x) / sum(c.n), sum(c.sum_y) / sum(c.n)), 3857),"
        "   ST_TileEnvelope(%s, %s, %s), %s, %s, true) AS geom, sum(c.n)::int AS count"
        " FROM tiles_reportcell c"
        " WHERE c.z = %s AND c.cx BETWEEN %s AND %s AND c.cy BETWEEN %s AND %s AND "
        + " AND ".join(where) +
        " GROUP BY c.cx, c.cy HAVING sum(c.n) > 0) AS mvt WHERE mvt.geom IS NOT NULL)"
    )
    params = [layer.id, settings.TILES_EXTENT, t.z, t.x, t.y, settings.TILES_EXTENT, settings.TILES_BUFFER,
              t.z, t.x * cells, t.x * cells + cells - 1, t.y * cells, t.y * cells + cells - 1, *params]
    return sql, params
