"""Reads of the geography: which desa, kecamatan and service areas cover a point.

The edge rule (documented in docs/architecture.md and the API description):
a point covered by several desa of the current edition (on a shared edge, or
in one of the 126 small overlaps of the source data) belongs to the desa with
the lowest Kemendagri code; the others are returned as `also_covered_by`. A
point covered by no desa but within GEO_NEAREST_TOLERANCE_M metres of one (sea,
river, a sliver gap) belongs to the nearest, flagged approximate with the
distance. Anything further is outside coverage.
"""
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import QuerySet

from .models import Agency, Area, Edition, ServiceArea

# Degrees of latitude per metre; used only to widen a bounding-box prefilter so
# that the && index test can run before the exact geography distance test.
_DEG_PER_M = 1 / 111_000


@dataclass
class PointLocation:
    desa: Area
    kecamatan: Area | None
    kabupaten: Area | None
    approximate: bool = False
    distance_m: float = 0.0
    also_covered_by: list[Area] = field(default_factory=list)
    service_areas: list[ServiceArea] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [a.code for a in (self.desa, self.kecamatan, self.kabupaten) if a is not None]


def edition_current() -> Edition | None:
    return Edition.objects.filter(is_current=True).first()


def _bbox_margin_deg(*, lat: float, metres: float) -> float:
    # Longitude degrees shrink with cos(lat); Kubu Raya sits on the equator but
    # the margin must stay a superset anywhere.
    return metres * _DEG_PER_M / max(math.cos(math.radians(lat)), 0.01) * 1.05


_COVERING_SQL = """
SELECT DISTINCT p.area_id, p.code, 0.0::float8 AS distance_m
  FROM geo_areapart p
 WHERE p.edition_id = %(edition)s AND p.level = 'desa'
   AND ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
 ORDER BY p.code
"""

# Only when no desa covers the point. The && prefilter uses the GiST index;
# the distance is geodesic (metres), never a degree approximation.
_NEAREST_SQL = """
SELECT p.area_id, p.code,
       ST_Distance(p.geom::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
  FROM geo_areapart p
 WHERE p.edition_id = %(edition)s AND p.level = 'desa'
   AND p.geom && ST_Expand(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(margin)s)
   AND ST_DWithin(p.geom::geography,
                  ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(tolerance)s)
 ORDER BY d, p.code
 LIMIT 1
"""


def point_locate(*, lon: float, lat: float, edition: Edition | None = None,
                 with_service_areas: bool = True) -> PointLocation | None:
    """Desa (by the edge rule), its kecamatan and kabupaten (by code), and the
    service areas covering the point; None when outside coverage."""
    edition = edition or edition_current()
    if edition is None:
        return None
    params = {"lon": lon, "lat": lat, "edition": edition.id}
    with connection.cursor() as cursor:
        cursor.execute(_COVERING_SQL, params)
        rows = cursor.fetchall()
        approximate = False
        if not rows:
            tolerance = settings.GEO_NEAREST_TOLERANCE_M
            cursor.execute(_NEAREST_SQL, {**params, "tolerance": tolerance,
                                          "margin": _bbox_margin_deg(lat=lat, metres=tolerance)})
            rows = cursor.fetchall()
            approximate = True
    if not rows:
        return None
    areas = {a.id: a for a in Area.objects.filter(id__in=[r[0] for r in rows])
             .select_related("parent", "parent__parent")}
    desa = areas[rows[0][0]]
    kecamatan = desa.parent
    location = PointLocation(
        desa=desa,
        kecamatan=kecamatan,
        kabupaten=kecamatan.parent if kecamatan else None,
        approximate=approximate,
        distance_m=round(float(rows[0][2]), 1),
        also_covered_by=[areas[r[0]] for r in rows[1:]],
    )
    if with_service_areas:
        location.service_areas = list(service_areas_covering(
            point=Point(lon, lat, srid=settings.GEO_STORAGE_SRID), area_codes=location.codes))
    return location


def service_areas_covering(*, point: Point, area_codes: Sequence[str]) -> QuerySet[ServiceArea]:
    """Service areas whose geometry covers the point (an edge counts as inside)
    or whose code list names one of `area_codes`."""
    by_geometry = ServiceArea.objects.filter(parts__geom__covers=point).values("id")
    by_code = ServiceArea.objects.filter(area_codes__overlap=list(area_codes)).values("id")
    return (ServiceArea.objects.filter(id__in=by_geometry.union(by_code))
            .select_related("agency").order_by("agency__code", "id"))


_BULK_SQL = """
SELECT t.ord, COALESCE(c.area_id, n.area_id) AS area_id, (c.area_id IS NULL AND n.area_id IS NOT NULL)
  FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS t(lon, lat, ord)
  LEFT JOIN LATERAL (
        SELECT p.area_id FROM geo_areapart p
         WHERE p.edition_id = %(edition)s AND p.level = 'desa'
           AND ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326))
         ORDER BY p.code LIMIT 1) c ON true
  LEFT JOIN LATERAL (
        SELECT p.area_id FROM geo_areapart p
         WHERE c.area_id IS NULL
           AND p.edition_id = %(edition)s AND p.level = 'desa'
           AND p.geom && ST_Expand(ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), %(margin)s)
           AND ST_DWithin(p.geom::geography, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography,
                          %(tolerance)s)
         ORDER BY ST_Distance(p.geom::geography, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography),
                  p.code
         LIMIT 1) n ON true
 ORDER BY t.ord
"""


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
    if edition is None or not lons:
        return BulkAssignment([None] * len(lons), [False] * len(lons))
    tolerance = settings.GEO_NEAREST_TOLERANCE_M
    with connection.cursor() as cursor:
        cursor.execute(_BULK_SQL, {"lons": list(lons), "lats": list(lats), "edition": edition.id,
                                   "tolerance": tolerance,
                                   "margin": _bbox_margin_deg(lat=1.5, metres=tolerance)})
        rows = cursor.fetchall()
    return BulkAssignment([r[1] for r in rows], [bool(r[2]) for r in rows])


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
