"""Precomputed clusters of the reports layer for the low zooms.

A grid of TILES_CELLS_PER_TILE x TILES_CELLS_PER_TILE cells per tile, per
zoom below TILES_POINTS_MIN_ZOOM, in Web Mercator (the grid of the tiles
themselves, so a cell never straddles two tiles). Each row of
`tiles_reportcell` counts the reports of one category, status and
confidentiality in one cell and sums their Mercator coordinates, so a tile
shows one point per cell at the mean position of its reports.

Only the even zooms CELL_MIN_ZOOM..CELL_MAX_ZOOM (CELL_ZOOMS: 6, 8, 10, 12)
are stored. The grids nest (a cell of zoom z is the 2^k x 2^k cells of zoom
z + k below it, the parent of cell cx being cx >> k, exactly, since the cell
sizes differ by powers of two), so a tile of another zoom groups the stored
cells of the next stored zoom down: an odd zoom reads four rows per cell it
shows, a tile below CELL_MIN_ZOOM the cells of zoom 6 (at most 1,400 rows at
1,000,000 reports, a few ms). Every stored zoom is rows to write for each
report: the odd zooms were 45% of them (a 50,000-report import wrote
~170,000 cell rows at zooms 6-12, ~97,000 at the even ones).

The table holds every report (it is internal, never published as is); the
tile statement keeps only the rows the publication policy allows
(layers.policy.tiles). Triggers on reports_report keep it current in the
same transaction as the write (migrations 0002-0004): statement-level with
transition tables, so a COPY of a million rows is one set-based write.

The triggers append: each write adds its change as rows of counts and sums
(negative for a report that left a cell), and a tile sums the rows of each
cell when read. No writer updates a row another writer touches, so
concurrent submissions and import batches never wait for each other's
commit (with one row per cell updated in place, two 50,000-row import
batches took 23.7 s together against 10.6 s appending). cells_compact()
(the tiles_cells_compact job, every few minutes) folds each cell's rows
back into one.
"""
from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from common.publication import PUBLIC_GRID_DEG

# Half the Web Mercator world width, metres (EPSG:3857).
MERC_HALF = 20037508.342789244


def cell_size(z: int) -> float:
    """Cell width at zoom z in Mercator metres."""
    return 2 * MERC_HALF / (2 ** z * settings.TILES_CELLS_PER_TILE)


# A cluster tile also carries the clusters of the cells within this many
# cells of its edges (its MVT buffer), so a cluster circle near an edge
# (radius up to 24 px at the portal, 2 cells = 32 px of a 256-px tile) is
# drawn whole: each tile draws it, clipped to itself (issue 19). A write
# therefore drops the cluster tiles within that margin too
# (tiles.cache.tiles_at_point).
CLUSTER_MARGIN_CELLS = 2


def cluster_buffer() -> int:
    """The MVT buffer of a cluster tile, in tile units (the margin cells)."""
    return CLUSTER_MARGIN_CELLS * settings.TILES_EXTENT // settings.TILES_CELLS_PER_TILE


def cells_sql(layer, t, filters: dict | None) -> tuple[str, list] | None:
    """The tile statement reading precomputed cells, or None when the cells
    cannot answer (another layer, or a period filter: cells hold no time)."""
    if layer.id != settings.TILES_REPORTS_LAYER or t.z > CELL_MAX_ZOOM:
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
    # The next stored zoom at or below the tile's (CELL_MIN_ZOOM below
    # it), grouped by their parent cell at t.z (shift 0 at the stored zooms).
    base_z = next(z for z in CELL_ZOOMS if z >= t.z)
    shift = base_z - t.z
    sql = (
        "(SELECT COALESCE(ST_AsMVT(mvt, %s, %s, 'geom'), ''::bytea) FROM ("
        " SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(sum(c.sum_x) / sum(c.n), sum(c.sum_y) / sum(c.n)), 3857),"
        "   ST_TileEnvelope(%s, %s, %s), %s, %s, true) AS geom, sum(c.n)::int AS count"
        " FROM tiles_reportcell c"
        " WHERE c.z = %s AND c.cx BETWEEN %s AND %s AND c.cy BETWEEN %s AND %s AND "
        + " AND ".join(where) +
        f" GROUP BY c.cx >> {shift:d}, c.cy >> {shift:d} HAVING sum(c.n) > 0) AS mvt WHERE mvt.geom IS NOT NULL)"
    )
    # the tile's cells and those of the margin around it
    margin = CLUSTER_MARGIN_CELLS << shift
    x0, y0 = ((t.x * cells) << shift) - margin, ((t.y * cells) << shift) - margin
    span = (cells << shift) + 2 * margin
    params = [layer.id, settings.TILES_EXTENT, t.z, t.x, t.y, settings.TILES_EXTENT, cluster_buffer(),
              base_z, x0, x0 + span - 1, y0, y0 + span - 1, *params]
    regency, regency_params = _regency_clause(t, base_z, x0, y0, span)
    return sql.replace(" GROUP BY c.cx", regency + " GROUP BY c.cx", 1), params + regency_params


def _regency_clause(t, base_z: int, x0: int, y0: int, span: int) -> tuple[str, list]:
    """On Citus, `AND c.regency_code = ...` naming the regencies whose outline
    meets the cells the tile reads (its own and the margin's:
    tiles.vector.regency_clause), so a cluster tile inside one regency reads
    one shard; a cell on a border is one row per regency there, summed by the
    tile's grouping as before. On one PostgreSQL tiles_reportcell has no
    regency column: nothing is added."""
    from tiles.vector import regency_clause

    size = cell_size(base_z)
    box = [-MERC_HALF + x0 * size, MERC_HALF - (y0 + span) * size,
           -MERC_HALF + (x0 + span) * size, MERC_HALF - y0 * size]
    return regency_clause("c.regency_code", t, box)


# --- Maintenance: triggers on reports_report -------------------------------------
# Stored zooms (CELL_ZOOMS) and the grid are fixed in the
# trigger; changing them means a migration and cells_rebuild().
CELL_MIN_ZOOM = 6
CELL_MAX_ZOOM = 12
CELL_ZOOMS = tuple(range(CELL_MIN_ZOOM, CELL_MAX_ZOOM + 1, 2))
CELLS_PER_TILE = 16

# The delta is grouped once at CELL_MAX_ZOOM, then each group is counted in
# its parent cell at every stored zoom (cx >> (12 - z), the nesting above):
# the rows to group and append per zoom are the changed zoom-12 cells, not
# the changed reports.
_APPEND_TEMPLATE = """
INSERT INTO tiles_reportcell (z, cx, cy, category_id, status, confidential, n, sum_x, sum_y)
SELECT zz.z, g.cx >> ({max_z} - zz.z), g.cy >> ({max_z} - zz.z), g.category_id, g.status, g.confidential,{g_regency}
       sum(g.n)::int, sum(g.sum_x), sum(g.sum_y)
  FROM (SELECT floor((d.x + 20037508.342789244) / (40075016.68557849 / (2 ^ {max_z} * {cells})))::int AS cx,
               floor((20037508.342789244 - d.y) / (40075016.68557849 / (2 ^ {max_z} * {cells})))::int AS cy,
               d.category_id, d.status, d.confidential,{d_regency}
               sum(d.sign) AS n, sum(d.sign * d.x) AS sum_x, sum(d.sign * d.y) AS sum_y
          FROM ({delta}) AS d
         GROUP BY 1, 2, 3, 4, 5{d_group}) AS g
  CROSS JOIN generate_series({min_z}, {max_z}, 2) AS zz(z)
 GROUP BY 1, 2, 3, 4, 5, 6{g_group}
"""


def _append_sql(*, regency: bool = False) -> str:
    """The append statement (its delta left as `{delta}`); with `regency`, the
    cells are also grouped by the reports' regency_code (a column after
    confidential: the Citus view, CELLS_BY_REGENCY_SQL)."""
    sql = (_APPEND_TEMPLATE.replace("{min_z}", str(CELL_MIN_ZOOM)).replace("{max_z}", str(CELL_MAX_ZOOM))
           .replace("{cells}", str(CELLS_PER_TILE)))
    extra = {"{g_regency}": " g.regency_code,", "{d_regency}": " d.regency_code,",
             "{d_group}": ", 6", "{g_group}": ", 7"}
    for key, value in extra.items():
        sql = sql.replace(key, value if regency else "")
    return sql


_APPEND = _append_sql()


def _rows(relation: str, sign: int, where: str = "", *, regency: bool = False) -> str:
    # Mercator is undefined at the poles: a point outside +-85 deg is skipped
    # (the reports service only accepts points in the regency anyway).
    # The public point (snapped to PUBLIC_GRID_DEG, as the public view
    # reports_public_report publishes it): a cell's mean position is a mean of
    # public points, so a cluster of one is no closer than the point tiles.
    snapped = f"ST_Transform(ST_SnapToGrid(r.location, {PUBLIC_GRID_DEG}), 3857)"
    return (f"SELECT {sign} AS sign, r.category_id, r.status, r.confidential,"
            f" ST_X({snapped}) AS x, ST_Y({snapped}) AS y" + (", r.regency_code" if regency else "") +
            f" FROM {relation} AS r WHERE ST_Y(r.location) BETWEEN -85 AND 85 {where}")


_CHANGED = ("AND (o.location, o.category_id, o.status, o.confidential)"
            " IS DISTINCT FROM (n.location, n.category_id, n.status, n.confidential)")

TRIGGER_SQL = f"""
CREATE FUNCTION tiles_reportcell_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_APPEND.format(delta=_rows("new_rows", 1))};
RETURN NULL;
END $$;

CREATE FUNCTION tiles_reportcell_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_APPEND.format(delta=_rows("old_rows", -1))};
RETURN NULL;
END $$;

CREATE FUNCTION tiles_reportcell_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_APPEND.format(delta=(
    "SELECT * FROM (" + _rows("old_rows", -1).replace(" AS r WHERE", " AS r JOIN new_rows n ON n.id = r.id"
    " JOIN old_rows o ON o.id = r.id WHERE") + " " + _CHANGED + ") AS gone UNION ALL SELECT * FROM ("
    + _rows("new_rows", 1).replace(" AS r WHERE", " AS r JOIN old_rows o ON o.id = r.id"
    " JOIN new_rows n ON n.id = r.id WHERE") + " " + _CHANGED + ") AS came"))};
RETURN NULL;
END $$;

CREATE TRIGGER tiles_reportcell_insert AFTER INSERT ON reports_report
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_reportcell_on_insert();
CREATE TRIGGER tiles_reportcell_delete AFTER DELETE ON reports_report
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiles_reportcell_on_delete();
CREATE TRIGGER tiles_reportcell_update AFTER UPDATE ON reports_report
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_reportcell_on_update();
"""

DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS tiles_reportcell_insert ON reports_report;
DROP TRIGGER IF EXISTS tiles_reportcell_delete ON reports_report;
DROP TRIGGER IF EXISTS tiles_reportcell_update ON reports_report;
DROP FUNCTION IF EXISTS tiles_reportcell_on_insert();
DROP FUNCTION IF EXISTS tiles_reportcell_on_delete();
DROP FUNCTION IF EXISTS tiles_reportcell_on_update();
"""

REBUILD_SQL = "TRUNCATE tiles_reportcell;\n" + _APPEND.format(delta=_rows("reports_report", 1))

# On Citus tiles_reportcell is a view of this (ops.citus): the cells of every
# report, computed per read on the shards, with the reports' regency_code as a
# column (grouped by it: a cell on a border is one row per regency) so a tile
# that names its regencies (cells_sql, KR_CITUS) reads their shards only.
CELLS_BY_REGENCY_COLUMNS = ("z", "cx", "cy", "category_id", "status", "confidential", "regency_code",
                            "n", "sum_x", "sum_y")
CELLS_BY_REGENCY_SQL = _append_sql(regency=True).split("\n", 2)[2].format(
    delta=_rows("reports_report", 1, regency=True))

# Each cell with several rows becomes one; a cell whose reports all left
# (n = 0) goes. Rows appended by writers that commit meanwhile are not in
# this statement's snapshot and stay as they are: the sums stay exact.
_KEY = "z, cx, cy, category_id, status, confidential"
COMPACT_SQL = f"""
WITH merged AS (
    DELETE FROM tiles_reportcell c
     USING (SELECT {_KEY} FROM tiles_reportcell GROUP BY {_KEY} HAVING count(*) > 1) AS d
     WHERE (c.z, c.cx, c.cy, c.category_id, c.status, c.confidential)
         = (d.z, d.cx, d.cy, d.category_id, d.status, d.confidential)
    RETURNING c.*
), folded AS (
    INSERT INTO tiles_reportcell ({_KEY}, n, sum_x, sum_y)
    SELECT {_KEY}, sum(n), sum(sum_x), sum(sum_y) FROM merged GROUP BY {_KEY} HAVING sum(n) <> 0
    RETURNING 1
)
SELECT (SELECT count(*) FROM merged), (SELECT count(*) FROM folded)
"""
# Any constant: one compaction at a time (a second caller skips).
_COMPACT_LOCK = 5_000_002


def cells_rebuild() -> int:
    """Recount every cell from reports_report (after a bulk load with the
    triggers disabled, or a change of the grid). Returns the rows written."""
    with connection.cursor() as cursor:
        cursor.execute(REBUILD_SQL)
        cursor.execute("SELECT count(*) FROM tiles_reportcell")
        return cursor.fetchone()[0]


def cells_compact() -> tuple[int, int] | None:
    """Fold the rows of each cell into one (see the module docstring).
    Returns (rows read, rows written), or None when another compaction runs.
    Reads stay exact throughout: a tile sums a cell's rows either way."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(COMPACT_SQL)
        read, written = cursor.fetchone()
    return read, written
