"""The target area of an announcement: built from codes, a drawn polygon, or a
buffer around a point or a line; validated (valid, inside the regency, bounded
vertex count) and resolved to the codes it reaches. Spatial work is PostGIS
(geography for metres), parameterised, in this one module."""
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Polygon
from django.db import connection
from django.utils.translation import gettext_lazy as _

from common.api_errors import ApiError
from geo.models import Area
from geo.selectors import edition_current

SUBUNIT_LEVELS = (Area.Level.DUSUN, Area.Level.RW, Area.Level.RT)


@dataclass
class Target:
    kind: str                      # Announcement.TargetKind
    geom: MultiPolygon | None
    target_codes: list[str] = field(default_factory=list)
    reach_codes: list[str] = field(default_factory=list)
    reach_desa: list[str] = field(default_factory=list)
    source: GEOSGeometry | None = None
    buffer_m: int | None = None


def _err(code, message, fld="area"):
    return ApiError(code, message, fields={fld: [code]})


def _parse_geojson(value, allowed: tuple[str, ...]) -> GEOSGeometry:
    if isinstance(value, dict):
        if value.get("crs"):
            raise _err("invalid_geometry", _("Geometri harus dalam WGS84 (EPSG:4326) tanpa 'crs'."))
        value = json.dumps(value)
    if not isinstance(value, str):
        raise _err("invalid_geometry", _("Geometri harus berupa GeoJSON."))
    try:
        geom = GEOSGeometry(value)
    except (GEOSException, ValueError, TypeError):
        raise _err("invalid_geometry", _("Geometri bukan GeoJSON yang sah.")) from None
    if geom.geom_type not in allowed:
        raise _err("invalid_geometry_type",
                   _("Jenis geometri %(t)s tidak diterima; gunakan %(a)s.") % {"t": geom.geom_type, "a": ", ".join(allowed)})
    geom.srid = 4326
    if geom.hasz:
        geom = GEOSGeometry(json.dumps({"type": geom.geom_type,
                                        "coordinates": _drop_z(json.loads(geom.json)["coordinates"])}), srid=4326)
    if geom.empty:
        raise _err("invalid_geometry", _("Geometri kosong."))
    if geom.num_coords > settings.ANNOUNCEMENTS_MAX_VERTICES:
        raise _err("too_many_vertices", _("Geometri terlalu rumit: %(n)d titik sudut, paling banyak %(m)d.")
                   % {"n": geom.num_coords, "m": settings.ANNOUNCEMENTS_MAX_VERTICES})
    for x, y in _coords(geom):
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise _err("invalid_coordinates", _("Koordinat di luar rentang bujur/lintang WGS84."))
    if not geom.valid:
        raise _err("invalid_geometry", _("Geometri tidak sah: %(r)s.") % {"r": geom.valid_reason})
    return geom


def _drop_z(coords):
    if coords and isinstance(coords[0], (int, float)):
        return coords[:2]
    return [_drop_z(c) for c in coords]


def _coords(geom):
    c = geom.coords
    def walk(v):
        if v and isinstance(v[0], (int, float)):
            yield v
        else:
            for item in v:
                yield from walk(item)
    yield from walk(c)


def _as_multi(geom: GEOSGeometry) -> MultiPolygon:
    if geom.geom_type == "Polygon":
        return MultiPolygon(geom, srid=4326)
    if geom.geom_type == "MultiPolygon":
        return geom
    polys = [g for g in geom if g.geom_type == "Polygon"] if hasattr(geom, "__iter__") else []
    return MultiPolygon(*polys, srid=4326)


def _one(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _check_inside_regency(geom: GEOSGeometry) -> None:
    """At most ANNOUNCEMENTS_OUTSIDE_TOLERANCE of the area may lie outside the
    regency boundary (a flood zone at a river mouth reaches into the sea)."""
    edition = edition_current()
    row = _one("""
        SELECT ST_Area(g::geography), ST_Area(ST_Difference(g, b.geom)::geography)
          FROM (SELECT ST_GeomFromEWKB(%s) AS g) AS x,
               geo_areaboundary AS b JOIN geo_area AS a ON a.id = b.area_id
         WHERE a.edition_id = %s AND a.level = 'kabupaten'""", [bytes(geom.ewkb), edition.id])
    if row is None:
        return
    total, outside = row
    if total <= 0 or outside / total > settings.ANNOUNCEMENTS_OUTSIDE_TOLERANCE:
        raise _err("outside_regency", _("Wilayah sasaran berada di luar Kabupaten Kubu Raya."))


def _desa_overlapping(geom: GEOSGeometry) -> list[str]:
    """Desa the area overlaps by at least ANNOUNCEMENTS_MIN_OVERLAP_M2 of
    their own land. Land two desa share (the source's small overlaps, up to
    4 ha) belongs to the lower code, as in the point lookup's edge rule, so
    an area drawn exactly on one desa does not reach a neighbour through an
    overlap, and a shared edge reaches nobody."""
    edition = edition_current()
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH x AS (SELECT ST_GeomFromEWKB(%s) AS g),
                 c AS (SELECT a.code, ST_CollectionExtract(ST_Intersection(b.geom, x.g), 3) AS part
                         FROM geo_areaboundary AS b JOIN geo_area AS a ON a.id = b.area_id, x
                        WHERE a.edition_id = %s AND a.level = 'desa' AND b.geom && x.g AND ST_Intersects(b.geom, x.g))
            SELECT c.code FROM c
             WHERE NOT ST_IsEmpty(c.part)
               AND ST_Area(COALESCE(ST_Difference(c.part, (SELECT ST_Union(o.part) FROM c AS o
                                                          WHERE o.code < c.code AND o.part && c.part)),
                                    c.part)::geography) >= %s
             ORDER BY c.code""", [bytes(geom.ewkb), edition.id, settings.ANNOUNCEMENTS_MIN_OVERLAP_M2])
        return [r[0] for r in cursor.fetchall()]


def reach_codes_for_desa(desa_codes: list[str]) -> list[str]:
    """The desa, their kecamatan and every RT/RW/dusun unit below them."""
    if not desa_codes:
        return []
    edition = edition_current()
    below = list(Area.objects.filter(edition=edition, level__in=SUBUNIT_LEVELS)
                 .filter(code__regex=r"^(" + "|".join(c.replace(".", r"\.") for c in desa_codes) + r")/")
                 .values_list("code", flat=True))
    kecamatan = {Area.parent_code_of(c) for c in desa_codes}
    return sorted(set(desa_codes) | kecamatan | set(below))


def target_from_input(data: dict) -> Target:
    """`data` holds one of: codes (list), polygon (GeoJSON), or buffer
    ({"geometry": Point|LineString GeoJSON, "distance_m": int})."""
    if not isinstance(data, dict):
        raise _err("area_required", _("Tentukan wilayah sasaran: kode wilayah, poligon, atau radius sekitar titik/garis."))
    given = [k for k in ("codes", "polygon", "buffer") if data.get(k)]
    if len(given) != 1:
        raise _err("area_required", _("Tentukan wilayah sasaran: kode wilayah, poligon, atau radius sekitar titik/garis."))
    if given[0] == "codes":
        return _target_codes(data["codes"])
    if given[0] == "polygon":
        geom = _parse_geojson(data["polygon"], ("Polygon", "MultiPolygon"))
        _check_inside_regency(geom)
        multi = _as_multi(geom)
        desa = _desa_overlapping(multi)
        return Target(kind="polygon", geom=multi, reach_desa=desa, reach_codes=reach_codes_for_desa(desa))
    spec = data["buffer"]
    if not isinstance(spec, dict):
        raise _err("invalid_buffer", _("Radius harus berisi 'geometry' dan 'distance_m'."))
    try:
        distance = int(spec.get("distance_m"))
    except (TypeError, ValueError):
        raise _err("invalid_buffer", _("'distance_m' harus bilangan bulat meter.")) from None
    lo, hi = settings.ANNOUNCEMENTS_BUFFER_RANGE_M
    if not lo <= distance <= hi:
        raise _err("invalid_buffer", _("Jarak radius harus antara %(lo)d dan %(hi)d meter.") % {"lo": lo, "hi": hi})
    source = _parse_geojson(spec.get("geometry"), ("Point", "LineString"))
    (ewkb,) = _one("SELECT ST_AsEWKB(ST_Multi(ST_Buffer(ST_GeomFromEWKB(%s)::geography, %s, 'quad_segs=16')::geometry))",
                   [bytes(source.ewkb), distance])
    geom = GEOSGeometry(memoryview(bytes(ewkb)))
    _check_inside_regency(geom)
    desa = _desa_overlapping(geom)
    return Target(kind="buffer", geom=geom, reach_desa=desa, reach_codes=reach_codes_for_desa(desa),
                  source=source, buffer_m=distance)


def _target_codes(codes) -> Target:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes) or len(codes) > 200:
        raise _err("invalid_codes", _("Kode wilayah harus berupa daftar (paling banyak 200)."), "codes")
    edition = edition_current()
    codes = sorted(set(c.strip() for c in codes))
    areas = {a.code: a for a in Area.objects.filter(edition=edition, code__in=codes)}
    unknown = [c for c in codes if c not in areas]
    if unknown:
        raise ApiError("unknown_area", _("Kode wilayah tidak dikenal: %(c)s.") % {"c": ", ".join(unknown[:5])},
                       fields={"codes": unknown[:20]})
    desa, reach = set(), set()
    for code, area in areas.items():
        if area.level == Area.Level.KABUPATEN:
            desa |= set(Area.objects.filter(edition=edition, level=Area.Level.DESA).values_list("code", flat=True))
        elif area.level == Area.Level.KECAMATAN:
            desa |= set(Area.objects.filter(edition=edition, level=Area.Level.DESA, parent=area)
                        .values_list("code", flat=True))
        elif area.level == Area.Level.DESA:
            desa.add(code)
        else:
            # An RT/RW/dusun announcement reaches that unit (and the units below it) only.
            reach.add(code)
            reach |= set(Area.objects.filter(edition=edition, code__startswith=code + "/").values_list("code", flat=True))
    reach |= set(reach_codes_for_desa(sorted(desa)))
    for code, area in areas.items():
        if area.level in (Area.Level.KABUPATEN, Area.Level.KECAMATAN):
            reach.add(code)
    row = _one("""SELECT ST_AsEWKB(ST_Multi(ST_CollectionExtract(ST_Union(b.geom), 3)))
                    FROM geo_areaboundary AS b JOIN geo_area AS a ON a.id = b.area_id
                   WHERE a.edition_id = %s AND a.code = ANY(%s)""",
               [edition.id, sorted(desa | {c for c, a in areas.items() if a.level in SUBUNIT_LEVELS})])
    geom = GEOSGeometry(memoryview(bytes(row[0]))) if row and row[0] else None
    return Target(kind="codes", geom=geom, target_codes=codes, reach_codes=sorted(reach), reach_desa=sorted(desa))
