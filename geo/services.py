"""Writes to the geography: editions, areas, boundaries and their derived
geometry (subdivided parts, simplified copy), agencies and service areas.

Derived geometry is refreshed here, in the service that writes, never in
Model.save(): bulk imports and the API share this code path.
"""
import math
from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.db import connection, transaction

from .models import LOOKUP_CELL_DEG, Area, AreaBoundary, Edition, ServiceArea
from .selectors import lookup_margin_deg


# Published coordinates have 7 decimals (layers.selectors.COORDINATE_DIGITS):
# boundaries are stored on that grid, valid there (a shape valid at full
# precision can self-intersect once rounded: kecamatan 61.12.03 did) and with
# counter-clockwise exterior rings (RFC 7946 3.1.6), so every output (OGC API,
# GeoJSON, GeoPackage, tiles) sends them as they are.
OUTPUT_GRID = 1e-7


def geometry_for_output(geom: MultiPolygon) -> MultiPolygon:
    """`geom` on the 7-decimal grid, valid there, exterior rings CCW."""
    import shapely
    from shapely.geometry.polygon import orient

    snapped = shapely.set_precision(shapely.from_wkb(bytes(geom.wkb)), OUTPUT_GRID)
    parts = [orient(p, 1.0) for p in shapely.get_parts(snapped)
             if p.geom_type == "Polygon" and not p.is_empty]
    if not parts:
        return geom
    return GEOSGeometry(memoryview(shapely.MultiPolygon(parts).wkb), srid=geom.srid)


class GeometryError(ValueError):
    """A geometry that cannot be made into a valid (Multi)Polygon in EPSG:4326."""


@dataclass
class NormalisedGeometry:
    geom: MultiPolygon
    was_repaired: bool


def geometry_normalise(geom: GEOSGeometry) -> NormalisedGeometry:
    """Return a valid 2D MultiPolygon in the storage SRID.

    Invalid input is repaired with MakeValid and reported; non-polygon parts
    produced by the repair (slivers collapsing to lines) are dropped.
    """
    if geom.srid is None:
        raise GeometryError("geometry has no SRID")
    if geom.srid != settings.GEO_STORAGE_SRID:
        geom = geom.transform(settings.GEO_STORAGE_SRID, clone=True)
    if geom.hasz:
        geom = _drop_z(geom)
    repaired = False
    if not geom.valid:
        geom = geom.make_valid()
        repaired = True
    polygons = _polygons_of(geom)
    if not polygons:
        raise GeometryError("geometry has no polygonal part")
    multi = MultiPolygon(*polygons, srid=settings.GEO_STORAGE_SRID)
    if not multi.valid:
        multi = MultiPolygon(*_polygons_of(multi.make_valid()), srid=settings.GEO_STORAGE_SRID)
        repaired = True
    return NormalisedGeometry(geom=geometry_for_output(multi), was_repaired=repaired)


def _drop_z(geom: GEOSGeometry) -> GEOSGeometry:
    from django.contrib.gis.geos import WKBWriter

    writer = WKBWriter()
    writer.outdim = 2
    return GEOSGeometry(writer.write(geom), srid=geom.srid)


def _polygons_of(geom: GEOSGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.empty else []
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        out = []
        for part in geom:
            out.extend(_polygons_of(part))
        return out
    return []


def edition_activate(*, edition: Edition) -> None:
    """Make `edition` the one current edition."""
    with transaction.atomic():
        Edition.objects.filter(is_current=True).exclude(pk=edition.pk).update(is_current=False)
        if not edition.is_current:
            edition.is_current = True
            edition.save(update_fields=["is_current"])


def area_upsert(*, edition: Edition, code: str, name: str, level: str,
                population: int | None = None, population_source: str = "",
                source_centroid=None) -> tuple[Area, str]:
    """Create or update an area; its parent comes from the code. Returns (area, 'added'|'changed'|'unchanged')."""
    parent_code = Area.parent_code_of(code)
    parent = Area.objects.filter(edition=edition, code=parent_code).first() if parent_code else None
    area = Area.objects.filter(edition=edition, code=code).first()
    values = {"name": name, "level": level, "parent": parent}
    if population is not None:
        values["population"] = population
        values["population_source"] = population_source
    if source_centroid is not None:
        values["source_centroid"] = source_centroid
    if area is None:
        area = Area(edition=edition, code=code, **values)
        area.full_clean()
        area.save()
        return area, "added"
    changed = [k for k, v in values.items() if not _same(getattr(area, k), v)]
    if not changed:
        return area, "unchanged"
    for k in changed:
        setattr(area, k, values[k])
    area.full_clean()
    area.save()
    return area, "changed"


def _same(current, new) -> bool:
    if isinstance(new, GEOSGeometry):
        return current is not None and current.equals_exact(new, 1e-9)
    if isinstance(new, Area) or new is None:
        return getattr(current, "pk", None) == getattr(new, "pk", None)
    return current == new


def area_set_boundary(*, area: Area, geom: GEOSGeometry, source: str = "", refresh_lookup: bool = True) -> str:
    """Store `geom` as the area's boundary and refresh its parts and simplified copy.

    A desa's lookup cells around the old and new shape are refreshed too;
    an importer writing many boundaries passes refresh_lookup=False and calls
    lookup_cells_refresh once, in the same transaction.

    Returns 'added', 'changed', 'unchanged' or 'repaired' (changed after MakeValid).
    """
    normalised = geometry_normalise(geom)
    existing = AreaBoundary.objects.filter(area=area).first()
    if existing and existing.geom.equals_exact(normalised.geom, 1e-12):
        return "unchanged"
    # The lookup cells that can change lie around the old and the new shape.
    extents = [normalised.geom.extent] + ([existing.geom.extent] if existing else [])
    with transaction.atomic():
        boundary = existing or AreaBoundary(area=area)
        boundary.geom = normalised.geom
        boundary.source = source
        boundary.was_repaired = normalised.was_repaired
        boundary.simple_geom = normalised.geom  # replaced in SQL below
        boundary.area_km2 = 0
        boundary.save()
        with connection.cursor() as cursor:
            # Simplify and measure in PostGIS; geodesic area on the ellipsoid.
            cursor.execute(
                """
                UPDATE geo_areaboundary
                   SET simple_geom = ST_ForcePolygonCCW(ST_Multi(ST_CollectionExtract(ST_ReducePrecision(
                           ST_MakeValid(ST_SimplifyPreserveTopology(geom, %(tol)s)), %(grid)s), 3))),
                       area_km2 = ST_Area(geom::geography) / 1e6
                 WHERE id = %(id)s
                """,
                {"tol": settings.GEO_SIMPLIFY_TOLERANCE, "grid": OUTPUT_GRID, "id": boundary.id},
            )
        area_refresh_parts(area=area)
        if refresh_lookup and area.level == Area.Level.DESA:
            lookup_cells_refresh(edition=area.edition, extent=(
                min(e[0] for e in extents), min(e[1] for e in extents),
                max(e[2] for e in extents), max(e[3] for e in extents)))
    if normalised.was_repaired:
        return "repaired"
    return "changed" if existing else "added"


def area_refresh_parts(*, area: Area) -> None:
    """Rebuild the ST_Subdivide pieces of one area's boundary."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM geo_areapart WHERE area_id = %s", [area.id])
        # ST_Subdivide cannot be said in the ORM; it returns one row per piece.
        cursor.execute(
            """
            INSERT INTO geo_areapart (area_id, edition_id, level, code, geom)
            SELECT a.id, a.edition_id, a.level, a.code,
                   ST_Subdivide(b.geom, %(max_vertices)s)
              FROM geo_area a JOIN geo_areaboundary b ON b.area_id = a.id
             WHERE a.id = %(id)s
            """,
            {"id": area.id, "max_vertices": settings.GEO_SUBDIVIDE_MAX_VERTICES},
        )


# Rebuild the lookup cells of one edition inside a range of cells (see
# geo.models.AreaLookupCell). Raw SQL: generate_series over cell indices and
# ST_Subdivide pieces per cell cannot be said in the ORM. Each desa part
# proposes the cells of its bounding box widened by the margin; a cell keeps
# the parts within the margin of it (planar degrees, a superset of the
# geodesic tolerance). A cell touched by one desa only, which covers it whole,
# keeps a single row without a part. Cells are widened by 1e-9 degrees so
# that a point on a cell edge, placed in either cell by floor(), is inside.
_LOOKUP_CELLS_SQL = """
DELETE FROM geo_arealookupcell
 WHERE edition_id = %(edition)s
   AND ((i BETWEEN %(i0)s AND %(i1)s AND j BETWEEN %(j0)s AND %(j1)s)
        OR part_id IN (SELECT c.part_id FROM geo_arealookupcell c
                         LEFT JOIN geo_areapart p ON p.id = c.part_id
                        WHERE c.edition_id = %(edition)s AND c.part_id IS NOT NULL AND p.id IS NULL));
WITH cand AS MATERIALIZED (
    SELECT c.i, c.j, p.id AS part_id, p.area_id, p.code, ST_Intersects(p.geom, c.cell) AS touches
      FROM geo_areapart p
     CROSS JOIN LATERAL (
           SELECT gi AS i, gj AS j,
                  ST_MakeEnvelope(gi * %(s)s - 1e-9, gj * %(s)s - 1e-9,
                                  (gi + 1) * %(s)s + 1e-9, (gj + 1) * %(s)s + 1e-9, 4326) AS cell
             FROM generate_series(GREATEST(floor((ST_XMin(p.geom) - %(margin)s) / %(s)s)::int, %(i0)s),
                                  LEAST(floor((ST_XMax(p.geom) + %(margin)s) / %(s)s)::int, %(i1)s)) gi,
                  generate_series(GREATEST(floor((ST_YMin(p.geom) - %(margin)s) / %(s)s)::int, %(j0)s),
                                  LEAST(floor((ST_YMax(p.geom) + %(margin)s) / %(s)s)::int, %(j1)s)) gj
          ) c
     WHERE p.edition_id = %(edition)s AND p.level = 'desa'
       AND p.geom && ST_MakeEnvelope(%(i0)s * %(s)s - %(margin)s, %(j0)s * %(s)s - %(margin)s,
                                     (%(i1)s + 1) * %(s)s + %(margin)s, (%(j1)s + 1) * %(s)s + %(margin)s, 4326)
       AND ST_DWithin(p.geom, c.cell, %(margin)s)
), whole AS MATERIALIZED (
    SELECT t.i, t.j, t.area_id, t.code
      FROM (SELECT i, j, min(area_id) AS area_id, min(code) AS code
              FROM cand WHERE touches GROUP BY i, j HAVING count(DISTINCT area_id) = 1) t
      JOIN geo_areaboundary b ON b.area_id = t.area_id
     WHERE ST_Covers(b.geom, ST_MakeEnvelope(t.i * %(s)s - 1e-9, t.j * %(s)s - 1e-9,
                                             (t.i + 1) * %(s)s + 1e-9, (t.j + 1) * %(s)s + 1e-9, 4326))
)
INSERT INTO geo_arealookupcell (edition_id, i, j, area_id, code, part_id)
SELECT %(edition)s, i, j, area_id, code, NULL FROM whole
 UNION ALL
SELECT %(edition)s, c.i, c.j, c.area_id, c.code, c.part_id
  FROM cand c
 WHERE NOT EXISTS (SELECT 1 FROM whole w WHERE w.i = c.i AND w.j = c.j);
"""


def lookup_cells_refresh(*, edition: Edition, extent: tuple[float, float, float, float] | None = None) -> None:
    """Rebuild the desa lookup cells of `edition` around `extent` (xmin, ymin,
    xmax, ymax in EPSG:4326, widened by the tolerance); all of them when None
    (then statistics are refreshed too, for the hash join of the bulk lookup)."""
    with connection.cursor() as cursor:
        if extent is None:
            cursor.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                           "(SELECT ST_Extent(geom) AS e FROM geo_areapart WHERE edition_id = %s AND level = 'desa') x",
                           [edition.id])
            extent = cursor.fetchone()
            if extent[0] is None:
                cursor.execute("DELETE FROM geo_arealookupcell WHERE edition_id = %s", [edition.id])
                return
            analyse = True
        else:
            analyse = False
        xmin, ymin, xmax, ymax = extent
        margin = lookup_margin_deg(max_abs_lat=max(abs(ymin), abs(ymax)) + 1)
        s = LOOKUP_CELL_DEG
        cursor.execute(_LOOKUP_CELLS_SQL, {
            "edition": edition.id, "s": s, "margin": margin,
            "i0": math.floor((xmin - margin) / s) - 1, "i1": math.floor((xmax + margin) / s) + 1,
            "j0": math.floor((ymin - margin) / s) - 1, "j1": math.floor((ymax + margin) / s) + 1})
        if analyse:
            cursor.execute("ANALYZE geo_arealookupcell")


def lookup_cells_rebuild(*, edition: Edition) -> None:
    """All lookup cells of `edition`, from scratch."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM geo_arealookupcell WHERE edition_id = %s", [edition.id])
    lookup_cells_refresh(edition=edition)


def service_area_save(*, service_area: ServiceArea) -> ServiceArea:
    """Validate and save a service area, keeping its subdivided parts in step."""
    if service_area.geom is not None:
        service_area.geom = geometry_normalise(service_area.geom).geom
    service_area.full_clean()
    with transaction.atomic():
        service_area.save()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM geo_serviceareapart WHERE service_area_id = %s", [service_area.id])
            if service_area.geom is not None:
                cursor.execute(
                    """
                    INSERT INTO geo_serviceareapart (service_area_id, regency_code, geom)
                    SELECT id, regency_code, ST_Subdivide(geom, %(max_vertices)s) FROM geo_servicearea WHERE id = %(id)s
                    """,
                    {"id": service_area.id, "max_vertices": settings.GEO_SUBDIVIDE_MAX_VERTICES},
                )
    return service_area
