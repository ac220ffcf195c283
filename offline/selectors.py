"""What a crew takes offline: its agencies' open queue (what its role may see,
nothing more), the desa of its service area with names, and the basemap tiles
of that area that fit a byte budget."""
import json
import math

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.selectors import user_agency_ids
from reports.models import Report
from reports.selectors import AGENCY_ROLES, report_access
from reports.services import TRANSITIONS, _allowed as transition_allowed

QUEUE_LIMIT = 500
PACKAGE_BUDGET_BYTES = 30 * 2**20
# The crew's basemap is vector tiles (MVT), taken at z10-z14 at most: the
# phone draws every zoom above a source's last one from that zoom's tiles
# (overzoom), so a kecamatan fits the budget many times over where raster
# tiles needed z15-z16 each.
# - Always: the project's own tiles of the desa and kecamatan boundaries
#   (/tiles/desa,kecamatan/{z}/{x}/{y}.mvt, public data) at z10-z12: a z12
#   tile keeps 4,096 units over ~9.8 km, 2.4 m, finer than the indicative
#   boundaries themselves.
# - When OFFLINE_BASEMAP_URL is set: an OpenMapTiles-schema vector basemap
#   (rivers, roads, buildings, places; e.g. an OpenStreetMap extract of
#   Kalimantan Barat built with planetiler and served by nginx) at z10-z14
#   (a z14 tile: finer than a metre, enough to find a house by a river).
# Bytes a tile averages: the boundaries' measured over Kubu Raya's kecamatan
# (513-760 B at z10-z14; bench/offline.py, docs/offline.md); the OpenMapTiles
# figure is an estimate for rural tiles (not measured here). The size is said
# before downloading, and the phone counts the real bytes and stops at the
# budget.
BASEMAP_ZOOMS = (10, 11, 12, 13, 14)
BOUNDARY_TILES = "/tiles/desa,kecamatan/{z}/{x}/{y}.mvt"
BOUNDARY_MAX_ZOOM = 12
BOUNDARY_TILE_BYTES = 2_000
OSM_MAX_ZOOM = 14
OSM_TILE_BYTES = 40_000
# How long what a signed-in user keeps on the phone stays usable: the crew's
# package, and the pages of a signed-in user the service worker keeps
# (<meta name="kr-private-hours">, sw.js). Past it the phone drops them.
PRIVATE_HOURS = 72


def _tile_range(bbox, z):
    minx, miny, maxx, maxy = bbox
    n = 2 ** z

    def xy(lon, lat):
        lat = max(min(lat, 85.0511), -85.0511)
        return (int((lon + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))
    x0, y0 = xy(minx, maxy)
    x1, y1 = xy(maxx, miny)
    return x0, x1, y0, y1


def basemap_sources() -> list[dict]:
    sources = [{"id": "batas", "template": BOUNDARY_TILES, "max_zoom": BOUNDARY_MAX_ZOOM,
                "tile_bytes": BOUNDARY_TILE_BYTES}]
    if settings.OFFLINE_BASEMAP_URL:
        sources.append({"id": "osm", "template": settings.OFFLINE_BASEMAP_URL, "max_zoom": OSM_MAX_ZOOM,
                        "attribution": settings.OFFLINE_BASEMAP_ATTRIBUTION, "tile_bytes": OSM_TILE_BYTES})
    return sources


def basemap_plan(bbox, *, budget: int = PACKAGE_BUDGET_BYTES, reserved: int = 0) -> dict:
    """The zooms of vector basemap tiles over `bbox` that fit the budget
    (every zoom up to the last one that fits; each source up to its own last
    zoom), their count and estimated bytes."""
    sources = basemap_sources()
    zooms, count, estimate = [], 0, 0
    if bbox:
        for z in BASEMAP_ZOOMS:
            taking = [s for s in sources if z <= s["max_zoom"]]
            if not taking:
                break
            x0, x1, y0, y1 = _tile_range(bbox, z)
            n = (x1 - x0 + 1) * (y1 - y0 + 1)
            size = n * sum(s["tile_bytes"] for s in taking)
            if reserved + estimate + size > budget:
                break
            zooms.append({"z": z, "x": [x0, x1], "y": [y0, y1], "tiles": n, "sources": [s["id"] for s in taking]})
            count += n * len(taking)
            estimate += size
    return {"format": "mvt", "sources": sources, "zooms": zooms, "tiles": count, "estimated_bytes": estimate}


def crew_area(*, agency_ids) -> tuple[dict, list | None]:
    """(GeoJSON FeatureCollection of the desa in the agencies' service areas,
    simplified to ~5 m, with names; their bbox)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH sa AS (SELECT s.geom, s.area_codes FROM geo_servicearea s WHERE s.agency_id = ANY(%s)),
                 region AS (
                   SELECT ST_Union(g) AS geom FROM (
                     SELECT geom AS g FROM sa WHERE geom IS NOT NULL
                     UNION ALL
                     SELECT b.geom FROM geo_area a
                       JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
                       JOIN geo_areaboundary b ON b.area_id = a.id
                      WHERE a.code IN (SELECT unnest(area_codes) FROM sa)) parts),
                 desa AS (
                   SELECT a.code, a.name, b.geom FROM geo_area a
                     JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
                     JOIN geo_areaboundary b ON b.area_id = a.id, region r
                    WHERE a.level = 'desa' AND b.geom && r.geom
                      AND ST_Area(ST_Intersection(b.geom, r.geom)) > 0.2 * ST_Area(b.geom))
            SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                     'type', 'Feature', 'id', code,
                     'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.00005), 6)::json,
                     'properties', json_build_object('code', code, 'name', name)) ORDER BY code), '[]'))::text,
                   (SELECT array[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)]
                      FROM (SELECT ST_Extent(geom) AS e FROM desa) x)
              FROM desa
            """, [list(agency_ids)])
        text, bbox = cursor.fetchone()
    return json.loads(text), (list(bbox) if bbox and bbox[0] is not None else None)


def crew_package(*, user) -> dict | None:
    agency_ids = user_agency_ids(user=user, roles=AGENCY_ROLES)
    if not agency_ids:
        return None
    reports = (Report.objects.filter(agency_id__in=agency_ids).exclude(status__in=Report.CLOSED_STATUSES)
               .select_related("category", "desa", "agency").prefetch_related("photos")
               .order_by("deadline", "created_at")[:QUEUE_LIMIT])
    items, access_by_agency = [], {}
    for r in reports:
        # Access depends on the user's roles for the report's agency (the
        # reporter's own rights only reopen resolved reports, never queued
        # here): computed once per agency, not once per report.
        if r.agency_id not in access_by_agency:
            access_by_agency[r.agency_id] = report_access(user=user, report=r)
        access = access_by_agency[r.agency_id]
        items.append({
            # The transitions this user may make now (the same rule the
            # server applies when the queued action arrives).
            "next": [to for to in sorted(TRANSITIONS[r.status])
                     if transition_allowed(access=access, report=r, to=to)],
            "id": str(r.id), "tracking_code": r.tracking_code, "status": r.status,
            "status_label": str(Report.Status(r.status).label),
            "category": str(r.category.name_id), "desa": r.desa.name if r.desa_id else None,
            "agency": r.agency.name if r.agency_id else None,
            "lon": round(r.location.x, 6), "lat": round(r.location.y, 6),
            "description": r.description, "created_at": r.created_at.isoformat(),
            "deadline": r.deadline.isoformat() if r.deadline else None,
            "photos": [f"/api/v1/reports/{r.id}/photos/{p.id}" for p in r.photos.all()],
        })
    desa, bbox = crew_area(agency_ids=agency_ids)
    data_bytes = len(json.dumps(items)) + len(json.dumps(desa))
    photo_bytes = sum(len(i["photos"]) for i in items) * 120_000
    basemap = basemap_plan(bbox, reserved=data_bytes + photo_bytes)
    return {
        "generated_at": timezone.now().isoformat(), "reports": items, "desa": desa, "bbox": bbox,
        "basemap": basemap, "budget_bytes": PACKAGE_BUDGET_BYTES,
        "estimated_bytes": data_bytes + photo_bytes + basemap["estimated_bytes"],
        "expires_in_hours": PRIVATE_HOURS,
    }
