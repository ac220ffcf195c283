"""HTTP adapters of the layers app: catalogue, metadata, exports and the
planners' queries. Logic lives in layers.selectors, exports and planner."""
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import ApiError

from . import exports
from .registry import Layer, layer_get, layers_public


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
            response = StreamingHttpResponse(exports.geojson_chunks(layer=layer), content_type=exports.FORMATS[fmt])
        elif fmt == "csv":
            geometry = request.query_params.get("geometry", "lonlat" if layer.geometry_type == "Point" else "wkt")
            if geometry not in ("wkt", "lonlat"):
                raise ApiError("invalid_geometry_option", _("geometry harus wkt atau lonlat."))
            if geometry == "lonlat" and layer.geometry_type != "Point":
                raise ApiError("invalid_geometry_option",
                               _("lon/lat hanya untuk layer titik; gunakan geometry=wkt."))
            response = StreamingHttpResponse(exports.csv_chunks(layer=layer, geometry=geometry),
                                             content_type=exports.FORMATS[fmt])
        else:
            response = FileResponse(exports.geopackage_file(layer=layer), content_type=exports.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        links = layer_links(request, layer)
        response["Link"] = f'<{links["metadata"]}>; rel="describedby", <{links["licence"]}>; rel="license"'
        return response
