"""HTTP adapters of the layers app: catalogue, metadata, exports and the
planners' queries. Logic lives in layers.selectors, exports and planner."""
import os
import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.selectors import user_has_role
from common.api_errors import ApiError

from . import exports, planner
from .policy import counts
from .policy.planner import planner_report_source
from .registry import Layer, layer_get, layers_public


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def ranged_file_response(request, file, content_type: str):
    """The whole `file` (200), or one byte range of it (206; 416 when it
    lies outside), with Content-Length and Accept-Ranges; HEAD gets the
    headers alone. Several ranges in one request get the whole file (allowed
    by RFC 9110)."""
    size = file.seek(0, os.SEEK_END)
    start, end, status = 0, size - 1, 200
    match = _RANGE.match(request.headers.get("Range", "").replace(" ", ""))
    if match and (match[1] or match[2]):
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:
            start, end = max(size - int(match[2]), 0), size - 1
        if start >= size or start > end:
            file.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        status = 206
    length = end - start + 1
    file.seek(start)
    if request.method == "HEAD":
        file.close()
        response = HttpResponse(status=status, content_type=content_type)
    else:
        def body():
            remaining = length
            with file:
                while remaining > 0:
                    chunk = file.read(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    yield chunk
        response = StreamingHttpResponse(body(), status=status, content_type=content_type)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _layer_or_404(layer_id: str) -> Layer:
    layer = layer_get(layer_id)
    if layer is None:
        raise ApiError("layer_not_found", _("Layer dengan id ini tidak ada."), status_code=404)
    return layer


def layer_links(request, layer: Layer) -> dict:
    """Absolute links of a layer: OGC API, downloads, metadata and licence."""
    def url(name, *args):
        return request.build_absolute_uri(reverse(name, args=args))

    return {
        "ogc_collection": url("ogc-collection", layer.id),
        "ogc_items": url("ogc-items", layer.id),
        "metadata": url("layers-metadata", layer.id),
        "licence": url("layers-licence", layer.id),
        "downloads": {fmt: url("layers-download", layer.id, fmt) for fmt in exports.FORMATS},
    }


class LayerListApi(APIView):
    @extend_schema(summary="Catalogue of published layers (Daftar Informasi Publik: data spasial)")
    def get(self, request):
        layers = layers_public()
        return Response({"count": len(layers),
                         "results": [{**layer.metadata(), "links": layer_links(request, layer)}
                                     for layer in layers]})


class LayerMetadataApi(APIView):
    @extend_schema(summary="Satu Data metadata of one layer")
    def get(self, request, layer_id: str):
        layer = _layer_or_404(layer_id)
        return Response({**layer.metadata(), "links": layer_links(request, layer)})


class LayerLicenceApi(APIView):
    @extend_schema(summary="Licence notice that travels with the layer's data")
    def get(self, request, layer_id: str):
        layer = _layer_or_404(layer_id)
        return HttpResponse(layer.licence_notice + "\n", content_type="text/plain; charset=utf-8")


class LayerDownloadApi(APIView):
    @extend_schema(summary="Download a whole layer (streamed): GeoJSON, CSV or GeoPackage",
                   parameters=[OpenApiParameter("geometry", str, enum=["wkt", "lonlat"],
                                                description="CSV only: WKT (default) or lon/lat (points)")])
    def get(self, request, layer_id: str, fmt: str):
        layer = _layer_or_404(layer_id)
        if fmt not in exports.FORMATS:
            raise ApiError("unsupported_format", _("Format harus geojson, csv atau gpkg."), status_code=404)
        filename = f"kuburaya-{layer.id}.{fmt}"
        if fmt == "geojson":
            chunks = exports.geojson_chunks(layer=layer)
        elif fmt == "csv":
            geometry = request.query_params.get("geometry", "lonlat" if layer.geometry_type == "Point" else "wkt")
            if geometry not in ("wkt", "lonlat"):
                raise ApiError("invalid_geometry_option", _("geometry harus wkt atau lonlat."))
            if geometry == "lonlat" and layer.geometry_type != "Point":
                raise ApiError("invalid_geometry_option",
                               _("lon/lat hanya untuk layer titik; gunakan geometry=wkt."))
            chunks = exports.csv_chunks(layer=layer, geometry=geometry)
        if fmt in ("geojson", "csv"):
            # Spooled to a temporary file (memory stays bounded), so that the
            # answer has a Content-Length and honours Range: GDAL's /vsicurl/
            # reads a remote file by HEAD and byte ranges.
            response = ranged_file_response(request, exports.spool(chunks), exports.FORMATS[fmt])
        else:
            response = FileResponse(exports.geopackage_file(layer=layer), content_type=exports.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        links = layer_links(request, layer)
        response["Link"] = f'<{links["metadata"]}>; rel="describedby", <{links["licence"]}>; rel="license"'
        return response


# --- Planners' queries ---------------------------------------------------------

class IsPlanner(BasePermission):
    def has_permission(self, request, view):
        return user_has_role(user=request.user, roles=[Role.PLANNER])


def _planner_call(function, **kwargs):
    try:
        return function(**kwargs)
    except planner.PlannerError as exc:
        raise ApiError(exc.code, exc.message, status_code=exc.status) from None


def _planner_log(request, endpoint: str, params: dict) -> None:
    """Every planner read of report-derived aggregates goes to the access log."""
    from .models import PlannerAccess

    PlannerAccess.objects.create(user=request.user, endpoint=endpoint,
                                 params={k: (sorted(v) if isinstance(v, set) else
                                             v.isoformat() if hasattr(v, "isoformat") else v)
                                         for k, v in params.items()},
                                 ip_address=request.META.get("REMOTE_ADDR"))


class StatisticsInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=["desa", "kecamatan"], default="desa")
    group_by = serializers.MultipleChoiceField(choices=list(planner.GROUPS), required=False)
    period = serializers.ChoiceField(choices=list(planner.PERIODS), required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    category = serializers.ListField(child=serializers.SlugField(), required=False)


class PlannerStatisticsApi(APIView):
    permission_classes = [IsPlanner]

    @extend_schema(summary="Report counts per desa or kecamatan (planners)", parameters=[StatisticsInput])
    def get(self, request):
        group_by = [g for value in request.query_params.getlist("group_by") for g in value.split(",") if g]
        # group_by=desa|kecamatan names the level (what people ask for first)
        levels = [g for g in group_by if g in ("desa", "kecamatan")]
        data = {**request.query_params.dict(), "group_by": [g for g in group_by if g not in levels],
                "category": request.query_params.getlist("category")}
        if levels and "level" not in request.query_params:
            data["level"] = levels[0]
        params = StatisticsInput(data=data)
        params.is_valid(raise_exception=True)
        v = params.validated_data
        _planner_log(request, "statistics", v)
        rows = _planner_call(planner.area_statistics, source=planner_report_source(), level=v["level"],
                             group_by=sorted(v.get("group_by") or []), period=v.get("period"),
                             start=v.get("start"), end=v.get("end"), categories=v.get("category") or None)
        return Response({"level": v["level"], "count": len(rows), "results": rows,
                         "note": _("Jumlah dibulatkan ke kelipatan 5 (1-2 menjadi 0); periode per bulan penuh.")})


class WithinInput(serializers.Serializer):
    layer = serializers.CharField()
    geometry = serializers.JSONField(required=False)
    buffer_m = serializers.FloatField(required=False)
    desa = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=200)


class PlannerWithinApi(APIView):
    permission_classes = [IsPlanner]

    @extend_schema(summary="Features of a layer within a GeoJSON geometry, a buffer in metres, or given desa "
                           "(GET: geometry as GeoJSON text, desa comma-separated)",
                   parameters=[OpenApiParameter("layer", str, required=True), OpenApiParameter("geometry", str),
                               OpenApiParameter("buffer_m", float), OpenApiParameter("desa", str)])
    def get(self, request):
        data = {k: v for k, v in request.query_params.items() if k in ("layer", "geometry", "buffer_m")}
        if request.query_params.get("desa"):
            data["desa"] = [d for d in request.query_params["desa"].split(",") if d]
        return self._answer(data)

    @extend_schema(summary="Features of a layer within a GeoJSON geometry, a buffer in metres, or given desa",
                   request=WithinInput)
    def post(self, request):
        return self._answer(request.data)

    def _answer(self, data):
        params = WithinInput(data=data)
        params.is_valid(raise_exception=True)
        v = params.validated_data
        layer = _layer_or_404(v["layer"])
        geometry = _planner_call(planner.geometry_parse, geojson=v["geometry"]) if "geometry" in v else None
        features, count = _planner_call(planner.features_within, layer=layer, geometry=geometry,
                                        buffer_m=v.get("buffer_m"), desa_codes=v.get("desa"))
        body = '{"type": "FeatureCollection", "numberReturned": %d, "features": %s}' % (count, features)
        return HttpResponse(body, content_type="application/geo+json")


class HotspotsInput(serializers.Serializer):
    category = serializers.SlugField()
    eps_m = serializers.FloatField(default=200)
    min_points = serializers.IntegerField(default=5)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)


class PlannerHotspotsApi(APIView):
    permission_classes = [IsPlanner]

    @extend_schema(summary="DBSCAN clusters (metres) of reports of a category, as polygons with counts",
                   parameters=[HotspotsInput])
    def get(self, request):
        params = HotspotsInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        v = params.validated_data
        _planner_log(request, "hotspots", v)
        features = _planner_call(planner.hotspots, source=planner_report_source(), category=v["category"],
                                 eps_m=v["eps_m"], min_points=v["min_points"], start=v.get("start"),
                                 end=v.get("end"))
        return Response({"type": "FeatureCollection", "features": features})


# /api/v1/reports/counts/ (its path stays under reports): the published counts.
class ReportCountsApi(APIView):
    @extend_schema(summary="Public counts: published groupings of the rounded base table (docs/layers.md)",
                   parameters=[OpenApiParameter("group_by", str), OpenApiParameter("category", str),
                               OpenApiParameter("kecamatan", str), OpenApiParameter("desa", str),
                               OpenApiParameter("month", str)])
    def get(self, request):
        try:
            grouping = counts.grouping_parse(request.query_params.get("group_by", "desa"))
        except ValueError:
            raise ApiError("invalid", _("group_by harus salah satu pengelompokan yang dipublikasikan: %(g)s.") % {
                "g": "; ".join(",".join(g) for g in counts.PUBLISHED_GROUPINGS)}, fields={"group_by": ["invalid"]})
        if "status" in request.query_params:
            raise ApiError("invalid", _("Jumlah laporan tidak dipublikasikan per status."),
                           fields={"status": ["invalid"]})
        return Response(counts.report_counts_public(
            group_by=grouping, category=request.query_params.get("category"),
            kecamatan=request.query_params.get("kecamatan"), desa=request.query_params.get("desa"),
            month=request.query_params.get("month")))
