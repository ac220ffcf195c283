"""HTTP adapters for the geography; logic lives in geo.selectors."""
import json

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from common.lean import LeanThrottles, lean_view
from common.api_errors import ApiError

from . import selectors
from .attribution import DATA_ATTRIBUTION
from .models import Area, AreaBoundary
from .serializers import AgencySerializer, AreaListSerializer, CoordinatesInput, ServiceAreaSerializer


def _area_ref(area):
    # {code, name, level} built directly: this is the hot path of the lookup
    # API and a serializer instance per area costs more than the query.
    return {"code": area.code, "name": area.name, "level": area.level} if area is not None else None


def _service_area_ref(sa) -> dict:
    # The shape of ServiceAreaSerializer (the schema documents that one).
    agency = sa.agency
    return {"id": sa.id, "name": sa.name,
            "agency": {"code": agency.code, "name": agency.name, "short_name": agency.short_name,
                       "kind": agency.kind},
            "area_codes": list(sa.area_codes),
            "defined_by": _defined_by(sa)}


def _defined_by(sa) -> str:
    has_geometry = getattr(sa, "has_geometry", None)
    if has_geometry is None:
        return ServiceAreaSerializer.get_defined_by(None, sa)
    if has_geometry and sa.area_codes:
        return "geometry+codes"
    return "geometry" if has_geometry else "codes"


def location_payload(location) -> dict:
    """The public shape of a PointLocation (also used by other apps' outputs)."""
    return {
        "kabupaten": _area_ref(location.kabupaten),
        "kecamatan": _area_ref(location.kecamatan),
        "desa": _area_ref(location.desa),
        "approximate": location.approximate,
        "distance_m": location.distance_m,
        "also_covered_by": [_area_ref(a) for a in location.also_covered_by],
    }


def _covering_body(lon: float, lat: float, location) -> dict:
    return {"lon": lon, "lat": lat, **location_payload(location),
            "service_areas": [_service_area_ref(sa) for sa in location.service_areas],
            "attribution": DATA_ATTRIBUTION}


def _outside_coverage(lon: float, lat: float) -> ApiError:
    return ApiError("outside_coverage", selectors.outside_coverage_message(),
                    status_code=404, extra={"lon": lon, "lat": lat})


class AreasCoveringApi(LeanThrottles, APIView):
    """The point lookup, the hottest public endpoint.

    A plain anonymous or session JSON GET with valid coordinates is answered
    by a lean path (`as_view` below) instead of DRF's dispatch: the same
    throttles (run as DRF runs them), the same body rendered by DRF's
    JSONRenderer, the same Allow and Vary headers; the whole Django middleware
    stack (request id, access log, latency metric, security headers, locale,
    database faults as 503, statement timeout) still wraps it. DRF's dispatch,
    negotiation and serializer validation cost more than the lookup statement
    itself. Everything else (HEAD, OPTIONS, Authorization headers, other
    Accept types, ?format=, invalid coordinates, a refused throttle) goes
    through DRF and this class, which also documents the endpoint
    (drf-spectacular reads `view.cls`). tests/geo/test_lookup.py pins that
    both paths answer byte for byte alike.
    """

    @extend_schema(
        summary="Which kabupaten, kecamatan, desa and service areas cover a point",
        description=(
            "Point in EPSG:4326. On a shared edge (or a small overlap) the desa with the lowest code "
            "is chosen and the others are listed in `also_covered_by`. A point within "
            "GEO_NEAREST_TOLERANCE_M (default 500 m) of a desa but covered by none (sea, river) "
            "resolves to the nearest desa with `approximate: true` and `distance_m`. "
            "Further away: 404 `outside_coverage`."),
        parameters=[OpenApiParameter("lon", float, required=True), OpenApiParameter("lat", float, required=True)],
    )
    def get(self, request):
        coords = CoordinatesInput(data=request.query_params)
        if not coords.is_valid():
            raise ApiError("invalid_coordinates",
                           _("Koordinat tidak valid: lon -180..180 dan lat -90..90 (derajat desimal, EPSG:4326)."),
                           fields=coords.errors)
        return Response(_covering(coords.validated_data["lon"], coords.validated_data["lat"]))

    @classmethod
    def as_view(cls, **initkwargs):
        return lean_view(cls, initkwargs, super().as_view(**initkwargs), method="GET", read=_lean_coordinates,
                         answer=lambda request, coords: (_covering(*coords), 200))


def _covering(lon: float, lat: float) -> dict:
    location = selectors.point_locate(lon=lon, lat=lat)
    if location is None:
        raise _outside_coverage(lon, lat)
    return _covering_body(lon, lat, location)


def _lean_coordinates(request) -> tuple[float, float] | None:
    """(lon, lat) validated by the one validator, CoordinatesInput, as DRF's
    path reads them (the query string); None sends the request through DRF,
    which answers the same serializer's error."""
    coords = CoordinatesInput(data=request.GET)
    return (coords.validated_data["lon"], coords.validated_data["lat"]) if coords.is_valid() else None


class AreaListApi(APIView):
    @extend_schema(summary="Areas of the current edition",
                   parameters=[OpenApiParameter("level", str), OpenApiParameter("parent", str)])
    def get(self, request):
        level = request.query_params.get("level")
        if level and level not in Area.Level.values:
            raise ApiError("invalid_level", _("level harus salah satu dari: ") + ", ".join(Area.Level.values))
        areas = selectors.areas_list(level=level, parent_code=request.query_params.get("parent")).annotate(
            has_boundary=Exists(AreaBoundary.objects.filter(area=OuterRef("pk"))))
        edition = selectors.edition_current()
        return Response({
            "edition": edition.name if edition else None,
            "count": len(areas),
            "results": AreaListSerializer(areas, many=True).data,
            "attribution": DATA_ATTRIBUTION,
        })


class AreaDetailApi(APIView):
    @extend_schema(summary="One area as a GeoJSON Feature",
                   parameters=[OpenApiParameter("geometry", str, enum=["simplified", "full", "none"])])
    def get(self, request, code: str):
        geometry = request.query_params.get("geometry", "simplified")
        if geometry not in ("simplified", "full", "none"):
            raise ApiError("invalid_geometry_option", _("geometry harus simplified, full atau none."))
        area = selectors.area_get(code=code)
        if area is None:
            raise ApiError("area_not_found", _("Wilayah dengan kode ini tidak ada."), status_code=404)
        boundary = getattr(area, "boundary", None)
        geom = None
        if boundary is not None and geometry != "none":
            geom = json.loads((boundary.geom if geometry == "full" else boundary.simple_geom).geojson)
        return Response({
            "type": "Feature",
            "id": area.code,
            "geometry": geom,
            "properties": {
                "code": area.code, "name": area.name, "level": area.level,
                "parent_code": area.parent.code if area.parent else None,
                "edition": area.edition.name,
                "has_boundary": boundary is not None,
                "area_km2": round(boundary.area_km2, 3) if boundary else None,
                "population": area.population,
                "children": [c.code for c in area.children.order_by("code")],
                "attribution": DATA_ATTRIBUTION,
            },
        }, content_type="application/geo+json")


class AgencyListApi(APIView):
    @extend_schema(summary="Agencies (OPD, UPT, kecamatan offices) and their service areas")
    def get(self, request):
        agencies = selectors.agencies_list()
        return Response({"count": len(agencies), "results": AgencySerializer(agencies, many=True).data})
