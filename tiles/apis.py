"""Tile endpoints: plain Django views, not DRF, because a cached tile is
answered from the cache store alone (no registry, no serializer; one query:
the cache epoch), which is what keeps cached tiles and 304s cheap. A vector
tile takes one path: nginx's edge file when it has one (unfiltered tiles
kept in the cache, docs/tiles.md), else `vector_tile` here, for hits,
misses, filters and errors alike. The raster metadata, value and zonal
endpoints under /api/v1/ are DRF."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api_errors import ApiError, error_body
from tiles import cache, services, sources, vector
from tiles import raster as raster_mod
from tiles.selectors import raster_get, rasters_list, zones_for
from tiles.serializers import PointInputSerializer, RasterOutputSerializer, ZonalInputSerializer

def _error(status: int, code: str, message, **extra) -> JsonResponse:
    return JsonResponse(error_body(code, message, **extra), status=status)


def _not_found(message=None) -> JsonResponse:
    return _error(404, "not_found", message or _("Tile tidak ditemukan."))


def _filter_query(request) -> dict[str, str]:
    return {k: request.GET[k] for k in sources.FILTER_PARAMS if request.GET.get(k)}


_variant = cache.tile_variant


_etag_matches = services.etag_matches


def _not_modified(etag: str, gzipped: bool) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = f'W/"{etag}"'
    response["Cache-Control"] = settings.TILES_CACHE_CONTROL
    response["Vary"] = "Accept-Encoding"
    return response


_NOT_FOUND = {"composite": _("Terlalu banyak lapisan dalam satu tile."), "layer": _("Lapisan tidak ditemukan.")}


def _response(status: int, headers: list, body: bytes) -> HttpResponse:
    response = HttpResponse(body, status=status)
    for header, value in headers:
        response[header] = value
    if not body:
        del response["Content-Type"]
    return response


@require_safe
def vector_tile(request, layers: str, z: int, x: int, y: int):
    """GET /tiles/{layer}[,{layer}...]/{z}/{x}/{y}.mvt[?category=&status=&period=]
    The one Django path of a vector tile: the cache (one Redis round trip),
    else the tile built in one statement and kept once the response is sent."""
    resolved = services.tile_resolve(layers, z, x, y)
    if isinstance(resolved, str):
        return _not_found(_NOT_FOUND.get(resolved))
    layer_objs, t = resolved
    name = ",".join(layer.id for layer in layer_objs)
    query = _filter_query(request)
    gzipped = services.accepts_gzip(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")

    state: dict = {}
    answer = services.cached_tile(name, z, x, y, query, accept_gzip=gzipped, if_none_match=if_none_match,
                                  state=state)
    if answer is not None:
        return _response(*answer)

    # A miss: check the filters, build the tile in one statement, keep it
    # once the response is sent (the server calls close()).
    for param in query:
        if not any(sources.filter_applies(layer, param) for layer in layer_objs):
            return _error(400, "invalid_filter", _("Filter ini tidak berlaku untuk lapisan ini."),
                          fields={param: [str(_("Tidak didukung oleh lapisan ini."))]})
    try:
        status, headers, body, keep = services.tile_build_answer(
            name, layer_objs, t, query, accept_gzip=gzipped, if_none_match=if_none_match,
            build_state=state.get("build"))
    except ValueError as exc:
        return _error(400, "invalid_filter", _("Nilai filter tidak valid."), fields={"filter": [str(exc)]})
    response = _response(status, headers, body)
    response._resource_closers.append(services.after_response(keep))
    return response


@require_safe
def tilejson(request, layers: str):
    """GET /tiles/{layer}[,{layer}...].json: TileJSON 3.0.0."""
    names = layers.split(",")
    layer_objs = [sources.layer_get(n) for n in names]
    if any(layer is None for layer in layer_objs) or len(names) > settings.TILES_MAX_COMPOSITE:
        return _not_found(_("Lapisan tidak ditemukan."))
    query = _filter_query(request)
    suffix = ("?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))) if query else ""
    base = request.build_absolute_uri(f"/tiles/{layers}")
    document = {
        "tilejson": "3.0.0",
        "name": " + ".join(str(layer.title) for layer in layer_objs),
        "description": " ".join(str(layer.description) for layer in layer_objs),
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [base + "/{z}/{x}/{y}.mvt" + suffix],
        "minzoom": 0,
        "maxzoom": settings.TILES_MAX_ZOOM,
        "bounds": vector.layers_bounds(layer_objs),
        "attribution": vector.attribution(layer_objs),
        "vector_layers": [vector.vector_layer(layer) for layer in layer_objs],
    }
    return _tilejson_response(request, document)


def _tilejson_response(request, document: dict) -> HttpResponse:
    west, south, east, north = document["bounds"]
    document["center"] = [round((west + east) / 2, 6), round((south + north) / 2, 6), 9]
    body = json.dumps(document, separators=(",", ":")).encode()
    etag = hashlib.sha256(body).hexdigest()[:32]
    if services.etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = f'"{etag}"'
    # The document changes with a layer's definition, not its data: cached
    # like a tile (TILES_CACHE_CONTROL), revalidated by ETag.
    response["Cache-Control"] = settings.TILES_CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def raster_tile(request, name: str, z: int, x: int, y: int):
    """GET /tiles/raster/{name}/{z}/{x}/{y}.png[?rescale=a,b&colormap_name=..&tilesize=256]"""
    t = vector.TileRequest(z, x, y)
    try:
        t.check(max_zoom=settings.TILES_RASTER_MAX_ZOOM)
        options = raster_mod.RenderOptions.parse(request.GET)
    except vector.TileOutOfRange:
        return _not_found()
    except ValueError as exc:
        return _error(400, "invalid_option", _("Opsi raster tidak valid."), fields={str(exc): [str(exc)]})
    key = raster_mod.cache_name(name)
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    found = cache.tile_lookup(key, z, x, y, {"o": options.key()}, body="d")
    if found is not None and found[0] is not None and found[1] is not None:
        etag, body = found
        if if_none_match and _etag_matches(if_none_match, etag):
            return _not_modified(etag, False)
        return _png_response(etag, body, cache_state="hit")
    raster = raster_get(name=name)
    if raster is None:
        return _not_found(_("Raster tidak ditemukan."))
    versions, marker = cache.tile_build_state(key, z, x, y)
    try:
        body = raster_mod.raster_tile(raster=raster, tile_z=z, tile_x=x, tile_y=y, options=options)
    except raster_mod.TileOutsideBounds:
        return _not_found(_("Tile di luar batas raster."))
    etag = cache.etag_of(body)
    # PNG is already compressed: the "gzip" copy is the same bytes.
    if versions is not None:  # None: the cache store is unavailable
        cache.tile_put(key, z, x, y, _variant(versions, {"o": options.key()}), etag=etag, body=body,
                       gzipped_body=body, marker=marker)
    if if_none_match and _etag_matches(if_none_match, etag):
        return _not_modified(etag, False)
    return _png_response(etag, body, cache_state="miss")


@require_safe
def raster_tilejson(request, name: str):
    """GET /tiles/raster/{name}.json[?rescale=a,b&colormap_name=..&tilesize=]:
    TileJSON 3.0.0 of a raster whose COG exists; the rendering options are
    checked and carried into the tile URL."""
    raster = raster_get(name=name)
    if raster is None or not raster.path or not Path(raster.path).is_file():
        return _not_found(_("Raster tidak ditemukan."))
    try:
        options = raster_mod.RenderOptions.parse(request.GET)
    except ValueError as exc:
        return _error(400, "invalid_option", _("Opsi raster tidak valid."), fields={str(exc): [str(exc)]})
    query = {k: request.GET[k] for k in ("rescale", "colormap_name", "tilesize") if request.GET.get(k)}
    suffix = ("?" + urlencode(sorted(query.items()), safe=",")) if query else ""
    base = request.build_absolute_uri(f"/tiles/raster/{raster.name}")
    unit = f" ({raster.unit})" if raster.unit else ""
    document = {
        "tilejson": "3.0.0",
        "name": raster.title or raster.name,
        "description": f"{raster.title or raster.name}{unit}",
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [base + "/{z}/{x}/{y}.png" + suffix],
        "minzoom": 0,
        "maxzoom": settings.TILES_RASTER_MAX_ZOOM,
        "bounds": [raster.west, raster.south, raster.east, raster.north],
        "attribution": raster.attribution,
    }
    return _tilejson_response(request, document)


def _png_response(etag: str, body: bytes, cache_state: str) -> HttpResponse:
    response = HttpResponse(body, content_type="image/png")
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = settings.TILES_CACHE_CONTROL
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Tile-Cache"] = cache_state
    return response


# --- Raster metadata, point values and zonal statistics (DRF) ------------------


def _raster_or_404(name: str):
    raster = raster_get(name=name)
    if raster is None:
        raise ApiError("not_found", _("Raster tidak ditemukan."), status_code=404)
    return raster


class RasterListApi(APIView):
    def get(self, request):

        return Response(RasterOutputSerializer(rasters_list(), many=True, context={"request": request}).data)


class RasterValueApi(APIView):
    """GET /api/v1/rasters/{name}/value?lon=&lat= -> {"lon","lat","values":[..]}"""

    def get(self, request, name: str):

        raster = _raster_or_404(name)
        params = PointInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        lon, lat = params.validated_data["lon"], params.validated_data["lat"]
        values = raster_mod.raster_value(raster=raster, lon=lon, lat=lat)
        if values is None:
            raise ApiError("outside_raster", _("Titik berada di luar cakupan raster."), status_code=404)
        return Response({"raster": raster.name, "lon": lon, "lat": lat, "values": values, "unit": raster.unit})


class RasterZonalApi(APIView):
    """GET /api/v1/rasters/{name}/zonal?level=desa&threshold= -> per-area
    min/mean/max/count and share of pixels above the threshold."""

    def get(self, request, name: str):

        raster = _raster_or_404(name)
        params = ZonalInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = raster_mod.raster_zonal_stats(raster=raster, zones=zones_for(level=params.validated_data["level"]),
                                             threshold=params.validated_data.get("threshold"))
        return Response({"raster": raster.name, "level": params.validated_data["level"],
                         "threshold": params.validated_data.get("threshold"), "unit": raster.unit,
                         "results": rows})
