"""Reads of the geography: which desa, kecamatan and service areas cover a point.

The edge rule (documented in docs/architecture.md and the API description):
a point covered by several desa of the current edition (on a shared edge, or
in one of the 126 small overlaps of the source data) belongs to the desa with
the lowest Kemendagri code; the others are returned as `also_covered_by`. A
point covered by no desa but within GEO_NEAREST_TOLERANCE_M metres of one (sea,
river, a sliver gap) belongs to the nearest, flagged approximate with the
distance. Anything further is outside coverage.
"""
import contextlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.db import prepared_cursor

from .models import LOOKUP_CELL_DEG, Agency, Area, Edition, ServiceArea

@dataclass
class PointLocation:
    desa: Area
    kecamatan: Area | None
    kabupaten: Area | None
    approximate: bool = False
    distance_m: float = 0.0
    also_covered_by: list[Area] = field(default_factory=list)
    service_areas: list["ServiceAreaHit"] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [a.code for a in (self.desa, self.kecamatan, self.kabupaten) if a is not None]


def coverage_names() -> list[str]:
    """The kabupaten/kota this deployment serves, by name ("Kabupaten Kubu Raya",
    "Kota Pontianak", ...): those loaded in the current editions."""
    return list(Area.objects.filter(edition__is_current=True, level=Area.Level.KABUPATEN)
                .order_by("code").values_list("name", flat=True).distinct())


def outside_coverage_message() -> str:
    """The `outside_coverage` message: names Kubu Raya when it is the only regency
    served (the default deployment, as always), else every regency served."""
    names = coverage_names()
    if names in ([], ["Kabupaten Kubu Raya"]):
        return _("Titik berada di luar wilayah Kabupaten Kubu Raya.")
    return _("Titik berada di luar wilayah layanan: %(regions)s.") % {"regions": ", ".join(names)}


def edition_current() -> Edition | None:
    return Edition.objects.filter(is_current=True).first()


def lookup_margin_deg(*, max_abs_lat: float) -> float:
    """GEO_NEAREST_TOLERANCE_M as planar degrees, never less than the true
    distance anywhere up to `max_abs_lat` (a metre of longitude shrinks with
    cos(lat); 110,574 m is the shortest degree of latitude)."""
    cos_lat = max(math.cos(math.radians(min(max_abs_lat, 89.0))), 0.01)
    return settings.GEO_NEAREST_TOLERANCE_M * 1.05 / (110_574 * cos_lat)


def _nearest_bounds(*, lat: float) -> dict:
    """The planar limits of the nearest-desa search around latitude `lat`.

    `margin`: GEO_NEAREST_TOLERANCE_M as degrees, never shorter than the
    tolerance (a superset for the && / planar prefilter). `ratio`: a part
    whose planar distance exceeds the smallest one by more than this factor
    cannot be the geodesic nearest (metres per degree differ by direction by
    less than this up to |lat| + 1 degree).
    """
    cos_lat = max(math.cos(math.radians(min(abs(lat) + 1, 89.0))), 0.01)
    return {"tolerance": settings.GEO_NEAREST_TOLERANCE_M,
            "margin": lookup_margin_deg(max_abs_lat=abs(lat) + 1),
            "ratio": 1.02 / cos_lat}


# The lookup rule for one point, in one statement: every desa covering the
# point (the lowest code wins, the others are also_covered_by); if none, the
# nearest desa within the tolerance. Nearest: desa parts within the planar
# margin (&& on the GiST index), only those whose planar distance is within
# `ratio` of the smallest, then the geodesic distance in metres to the
# closest point of the part (within a centimetre of the geodesic minimum at
# these distances, at a fifth of the cost). points_assign_desa applies the
# same rule to many points at once. Kecamatan and kabupaten come from the
# desa's parent chain (the code hierarchy).
_LOCATE_SQL = """
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g,
                   COALESCE(%(edition)s, (SELECT id FROM geo_edition WHERE is_current)) AS edition),
covering AS (
    SELECT DISTINCT p.area_id, p.code FROM geo_areapart p, pt
     WHERE p.edition_id = pt.edition AND p.level = 'desa' AND ST_Covers(p.geom, pt.g)
), planar AS (
    SELECT p.area_id, p.code, p.geom, ST_Distance(p.geom, pt.g) AS d,
           min(ST_Distance(p.geom, pt.g)) OVER () AS d_min
      FROM geo_areapart p, pt
     WHERE NOT EXISTS (SELECT 1 FROM covering)
       AND p.edition_id = pt.edition AND p.level = 'desa'
       AND p.geom && ST_Expand(pt.g, %(margin)s) AND ST_DWithin(p.geom, pt.g, %(margin)s)
), nearest AS (
    SELECT n.area_id, n.code, ST_Distance(ST_ClosestPoint(n.geom, pt.g)::geography, pt.g::geography) AS d_m
      FROM planar n, pt
     WHERE n.d <= n.d_min * %(ratio)s + 1e-12
     ORDER BY d_m, n.code
     LIMIT 1
), hits AS (
    SELECT area_id, code, 0.0::float8 AS d_m, false AS approximate FROM covering
     UNION ALL
    SELECT area_id, code, d_m, true FROM nearest WHERE d_m <= %(tolerance)s
), located AS (
    SELECT h.code AS hit_code, h.d_m, h.approximate,
           d.id, d.edition_id, d.code, d.name, d.level, d.parent_id,
           k.id AS k_id, k.edition_id AS k_edition_id, k.code AS k_code, k.name AS k_name, k.level AS k_level,
           k.parent_id AS k_parent_id,
           b.id AS b_id, b.edition_id AS b_edition_id, b.code AS b_code, b.name AS b_name, b.level AS b_level,
           b.parent_id AS b_parent_id
      FROM hits h
      JOIN geo_area d ON d.id = h.area_id
      LEFT JOIN geo_area k ON k.id = d.parent_id
      LEFT JOIN geo_area b ON b.id = k.parent_id
), service_areas AS (
    -- Service areas of the chosen desa (lowest code): a geometry covering
    -- the point, or a code list naming the desa, kecamatan or kabupaten.
    SELECT COALESCE(json_agg(json_build_array(s.id, s.agency_id, s.name, s.area_codes, s.geom IS NOT NULL,
                                              a.code, a.name, a.short_name, a.kind)
                             ORDER BY a.code, s.id), '[]'::json) AS rows
      FROM geo_servicearea s JOIN geo_agency a ON a.id = s.agency_id, pt
     WHERE %(with_service_areas)s AND EXISTS (SELECT 1 FROM hits)
       AND (EXISTS (SELECT 1 FROM geo_serviceareapart sp
                     WHERE sp.service_area_id = s.id AND ST_Covers(sp.geom, pt.g))
            OR s.area_codes && (SELECT ARRAY[l.code, l.k_code, l.b_code]::varchar[]
                                  FROM located l ORDER BY l.hit_code LIMIT 1))
)
SELECT l.d_m, l.approximate,
       l.id, l.edition_id, l.code, l.name, l.level, l.parent_id,
       l.k_id, l.k_edition_id, l.k_code, l.k_name, l.k_level, l.k_parent_id,
       l.b_id, l.b_edition_id, l.b_code, l.b_name, l.b_level, l.b_parent_id,
       (SELECT rows FROM service_areas)
  FROM located l
 ORDER BY l.hit_code
"""
_AREA_FIELDS = ["id", "edition_id", "code", "name", "level", "parent_id"]  # in Area's field order


def _area_from_row(values) -> Area | None:
    # Only the fields the lookup needs, in the model's field order (as
    # Model.from_db wants); the others load on access (deferred).
    return None if values[0] is None else Area.from_db(connection.alias, _AREA_FIELDS, values)


def point_locate(*, lon: float, lat: float, edition: Edition | None = None,
                 with_service_areas: bool = True) -> PointLocation | None:
    """Desa (by the edge rule), its kecamatan and kabupaten (by code), and the
    service areas covering the point; None when outside coverage."""
    params = {"lon": lon, "lat": lat, "edition": edition.id if edition else None,
              "with_service_areas": with_service_areas, **_nearest_bounds(lat=lat)}
    # One round trip: the current edition, the desa with its parents and the
    # service areas come from the same statement, prepared once per database
    # connection (planning it took twice as long as running it: common.db).
    with prepared_cursor() as cursor:
        cursor.execute(_LOCATE_SQL, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    desa, kecamatan, kabupaten = (_area_from_row(first[2:8]), _area_from_row(first[8:14]),
                                  _area_from_row(first[14:20]))
    desa.parent = kecamatan
    if kecamatan is not None:
        kecamatan.parent = kabupaten
    location = PointLocation(
        desa=desa,
        kecamatan=kecamatan,
        kabupaten=kabupaten,
        approximate=first[1],
        distance_m=round(float(first[0]), 1),
        also_covered_by=[_area_from_row(r[2:8]) for r in rows[1:]],
    )
    if with_service_areas:
        location.service_areas = [_service_area_from_row(r) for r in _json_rows(first[20])]
    return location


def _json_rows(value) -> list:
    return json.loads(value) if isinstance(value, str) else (value or [])


@dataclass(frozen=True, slots=True)
class AgencyRef:
    id: int
    code: str
    name: str
    short_name: str
    kind: str


@dataclass(frozen=True, slots=True)
class ServiceAreaHit:
    """A service area covering a located point: the fields the lookup's
    callers read (building model instances cost a fifth of an API lookup)."""
    id: int
    agency_id: int
    name: str
    area_codes: list
    has_geometry: bool
    agency: AgencyRef


def _service_area_from_row(row) -> ServiceAreaHit:
    sa_id, agency_id, name, area_codes, has_geometry, a_code, a_name, a_short, a_kind = row
    return ServiceAreaHit(id=sa_id, agency_id=agency_id, name=name, area_codes=area_codes or [],
                          has_geometry=has_geometry,
                          agency=AgencyRef(id=agency_id, code=a_code, name=a_name, short_name=a_short, kind=a_kind))


# The same rule as _LOCATE_SQL for many points, set-based through the lookup
# cells (geo.models.AreaLookupCell): each point finds its cell by arithmetic
# and joins the cell's rows by hash. A row without a part is the answer (the
# desa covers the whole cell); part rows are tested with ST_Covers, lowest
# code wins; points covered by none get the nearest part among their cell's
# candidates as in _LOCATE_SQL; a point whose cell has no rows is further than
# the tolerance from every desa. `{source}` yields (key, lon, lat); only
# assigned points come back, as (key, desa code, approximate). Raw SQL: the
# ORM has no unnest WITH ORDINALITY nor window filters.
_ASSIGN_SQL = """
WITH pts AS MATERIALIZED (
    SELECT s.key, s.lon, s.lat, floor(s.lon / %(s)s)::int AS i, floor(s.lat / %(s)s)::int AS j
      FROM ({source}) AS s(key, lon, lat)
     WHERE s.lon BETWEEN -180 AND 180 AND s.lat BETWEEN -90 AND 90
), cells AS MATERIALIZED (
    SELECT i, j, code, part_id FROM geo_arealookupcell WHERE edition_id = %(edition)s
), hits AS MATERIALIZED (
    SELECT p.key, p.lon, p.lat, c.code, c.part_id
      FROM pts p JOIN cells c ON c.i = p.i AND c.j = p.j
), tested AS MATERIALIZED (
    SELECT h.key,
           min(h.code) FILTER (WHERE ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4326))) AS code
      FROM hits h JOIN geo_areapart a ON a.id = h.part_id
     GROUP BY h.key
), planar AS (
    SELECT h.key, a.code, a.geom, ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4326) AS g,
           ST_Distance(a.geom, ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4326)) AS d,
           min(ST_Distance(a.geom, ST_SetSRID(ST_MakePoint(h.lon, h.lat), 4326))) OVER (PARTITION BY h.key) AS d_min
      FROM tested t JOIN hits h ON h.key = t.key JOIN geo_areapart a ON a.id = h.part_id
     WHERE t.code IS NULL
), nearest AS (
    SELECT DISTINCT ON (key) key, code, ST_Distance(ST_ClosestPoint(geom, g)::geography, g::geography) AS d_m
      FROM planar
     WHERE d_min <= %(margin)s AND d <= d_min * %(ratio)s + 1e-12
     ORDER BY key, d_m, code
)
SELECT key, code, false AS approximate FROM hits WHERE part_id IS NULL
 UNION ALL
SELECT key, code, false FROM tested WHERE code IS NOT NULL
 UNION ALL
SELECT key, code, true FROM nearest WHERE d_m <= %(tolerance)s
"""

# Planner settings for the bulk assignment only, restored afterwards: a hash
# join of the points with the cells (the planner otherwise sorts a million
# points for a merge join), memory for the hash tables, and no JIT
# compilation (a second of compiling for a statement of a few seconds), and a
# plan made for the parameters' values: its arrays travel as server-side
# parameters, and the connections run prepared statements with generic plans
# (DB_PLAN_CACHE_MODE), under which this statement, planned blind to the
# number of points, took 53.6 s for 200,000 points instead of 0.6 s.
_BULK_SETTINGS = {"enable_mergejoin": "off", "work_mem": "256MB", "jit": "off",
                  "plan_cache_mode": "force_custom_plan"}


def points_assign_sql(*, source_sql: str, edition: Edition) -> tuple[str, dict]:
    """The bulk assignment as SQL over `source_sql` (a query yielding key,
    lon, lat in EPSG:4326) and its parameters; run it inside
    points_assign_settings(). For set-based writers (geo.reassign)."""
    with connection.cursor() as cursor:
        # Only points in a cell can be assigned: the cells bound the latitude.
        cursor.execute("SELECT max(greatest(abs(j), abs(j + 1))) FROM geo_arealookupcell WHERE edition_id = %s",
                       [edition.id])
        max_abs_lat = (cursor.fetchone()[0] or 0) * LOOKUP_CELL_DEG
    return (_ASSIGN_SQL.format(source=source_sql),
            {"edition": edition.id, "s": LOOKUP_CELL_DEG, **_nearest_bounds(lat=max_abs_lat)})


@contextlib.contextmanager
def points_assign_settings(cursor):
    """_BULK_SETTINGS for the current transaction, restored on exit."""
    cursor.execute("SELECT " + ", ".join(f"current_setting('{k}')" for k in _BULK_SETTINGS))
    previous = dict(zip(_BULK_SETTINGS, cursor.fetchone()))
    for name, value in _BULK_SETTINGS.items():
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    try:
        yield
    finally:
        for name, value in previous.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


@dataclass
class BulkAssignment:
    desa_ids: list[int | None]
    approximate: list[bool]


def points_assign_desa(*, lons: Sequence[float], lats: Sequence[float],
                       edition: Edition | None = None) -> BulkAssignment:
    """Assign many points to desa in one SQL statement, by the same rule as
    point_locate (None where outside coverage). For importers of reports and
    businesses."""
    edition = edition or edition_current()
    if len(lons) != len(lats):
        raise ValueError("lons and lats differ in length")
    n = len(lons)
    desa_ids: list[int | None] = [None] * n
    approximate = [False] * n
    if edition is None or not n:
        return BulkAssignment(desa_ids, approximate)
    id_of = dict(Area.objects.filter(edition=edition, level=Area.Level.DESA).values_list("code", "id"))
    sql, params = points_assign_sql(
        source_sql="SELECT t.ord, t.lon, t.lat FROM unnest(%(lons)b::float8[], %(lats)b::float8[])"
                   " WITH ORDINALITY AS t(lon, lat, ord)", edition=edition)
    params.update(lons=[None if v is None else float(v) for v in lons],
                  lats=[None if v is None else float(v) for v in lats])
    connection.ensure_connection()
    # A cursor with server-side binding: the arrays travel as binary
    # parameters (%b) instead of being spelled into the SQL text, which for a
    # million points costs more than the lookup itself.
    with transaction.atomic(), psycopg.Cursor(connection.connection) as cursor:
        with points_assign_settings(cursor):
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    for ord_, code, approx in rows:
        desa_ids[ord_ - 1] = id_of[code]
        approximate[ord_ - 1] = approx
    return BulkAssignment(desa_ids, approximate)


def areas_list(*, level: str | None = None, parent_code: str | None = None,
               edition: Edition | None = None) -> QuerySet[Area]:
    edition = edition or edition_current()
    qs = Area.objects.filter(edition=edition).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    return qs.order_by("code")


def area_get(*, code: str, edition: Edition | None = None) -> Area | None:
    edition = edition or edition_current()
    return (Area.objects.filter(edition=edition, code=code)
            .select_related("parent", "boundary").first())


def agencies_list() -> QuerySet[Agency]:
    return Agency.objects.filter(is_active=True).select_related("parent").prefetch_related("service_areas")


def desa_centroids(*, edition: Edition | None = None) -> list[tuple[str, float, float]]:
    """(code, lon, lat) of a point inside every desa with a boundary (for
    synthetic data and coarsening points to their desa)."""
    edition = edition or edition_current()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.code, ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom))
              FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
             WHERE a.edition_id = %s AND a.level = 'desa' ORDER BY a.code
            """, [edition.id if edition else None])
        return cursor.fetchall()


_ADDRESS_PREFIXES = re.compile(r"^(desa|kelurahan|kel\.?|ds\.?|kecamatan|kec\.?)\s+", re.IGNORECASE)


def desa_point_for_address(*, address_id: str = "", address_string: str = "",
                           edition: Edition | None = None) -> tuple[str, float, float] | None:
    """(desa code, lon, lat) of a point inside the desa an Open311 address
    names, or None when it names none or several. `address_id` is a desa's
    Kemendagri code (what Open311 answers carry as address_id);
    `address_string` is read as comma-separated parts, a desa's name in one
    of them ("Desa Kuala Dua, Kec. Sungai Raya", "Kuala Dua"), a kecamatan's
    name in another narrowing same-named desa."""
    edition = edition or edition_current()
    if edition is None:
        return None
    desa = Area.objects.filter(edition=edition, level=Area.Level.DESA, boundary__isnull=False)
    if address_id:
        matches = list(desa.filter(code=address_id.strip()[:40]))
    else:
        parts = {_ADDRESS_PREFIXES.sub("", part.strip()).strip().lower()
                 for part in re.split(r"[,;\n]", address_string[:500])} - {""}
        if not parts:
            return None
        named = [a for a in desa.select_related("parent") if a.name.lower() in parts]
        matches = named
        if len(named) > 1:
            matches = [a for a in named if a.parent and a.parent.name.lower() in parts]
    if len(matches) != 1:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM geo_areaboundary "
                       "WHERE area_id = %s) AS s", [matches[0].id])
        lon, lat = cursor.fetchone()
    return matches[0].code, lon, lat
