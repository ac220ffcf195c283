"""Tile endpoints. Plain Django views, not DRF: a cached tile is answered
from the cache store alone (no registry, no database, no serializer), which
is what keeps cached tiles and 304s cheap."""
from __future__ import annotations

import gzip
import hashlib

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from config.api_errors import error_body
from tiles import cache, sources, vector

MVT_TYPE = "application/vnd.mapbox-vector-tile"


def _error(status: int, code: str, message, **extra) -> JsonResponse:
    return JsonResponse(error_body(code, message, **extra), status=status)


def _not_found(message=None) -> JsonResponse:
    return _error(404, "not_found", message or _("Tile tidak ditemukan."))


def _filter_query(request) -> dict[str, str]:
    return {k: request.GET[k] for k in sources.FILTER_PARAMS if request.GET.get(k)}


def _variant(versions: list[str], query: dict[str, str]) -> str:
    raw = "&".join(versions) + "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def _etag_matches(header: str, etag: str) -> bool:
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        candidate = candidate.removeprefix("W/").strip('"').removesuffix(".gz")
        if candidate == etag:
            return True
    return False


def _tile_response(etag: str, body: bytes, gzipped: bool, status: int = 200) -> HttpResponse:
    if not body:
        response = HttpResponse(status=204)
    else:
        response = HttpResponse(body, content_type=MVT_TYPE, status=status)
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = f'"{etag}.gz"' if gzipped and body else f'"{etag}"'
    response["Cache-Control"] = settings.TILES_CACHE_CONTROL
    response["Vary"] = "Accept-Encoding"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _not_modified(etag: str, gzipped: bool) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = f'"{etag}.gz"' if gzipped else f'"{etag}"'
    response["Cache-Control"] = settings.TILES_CACHE_CONTROL
    response["Vary"] = "Accept-Encoding"
    return response


@require_GET
def vector_tile(request, layers: str, z: int, x: int, y: int):
    """GET /tiles/{layer}[,{layer}...]/{z}/{x}/{y}.mvt[?category=&status=&period=]"""
    names = layers.split(",")
    t = vector.TileRequest(z, x, y)
    try:
        t.check()
    except vector.TileOutOfRange:
        return _not_found()
    if len(names) > settings.TILES_MAX_COMPOSITE or len(set(names)) != len(names):
        return _not_found(_("Terlalu banyak lapisan dalam satu tile."))
    name = ",".join(names)
    query = _filter_query(request)
    gzipped = "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")

    # The cached path: versions, then the tile, from the cache store only.
    versions = cache.layer_versions(names, create=False)
    if versions is not None:
        variant = _variant(versions, query)
        if if_none_match:
            etag = cache.tile_etag_get(name, z, x, y, variant)
            if etag is not None and _etag_matches(if_none_match, etag):
                return _not_modified(etag, gzipped)
        hit = cache.tile_get(name, z, x, y, variant, gzipped=gzipped)
        if hit is not None:
            response = _tile_response(hit[0], hit[1], gzipped)
            response["X-Tile-Cache"] = "hit"
            return response

    # A miss: resolve the layers (through the registry and its policy),
    # check the filters, build the tile in one statement, keep it.
    layer_objs = [sources.layer_get(n) for n in names]
    if any(layer is None for layer in layer_objs):
        return _not_found(_("Lapisan tidak ditemukan."))
    for param in query:
        if not any(sources.filter_applies(layer, param) for layer in layer_objs):
            return _error(400, "invalid_filter", _("Filter ini tidak berlaku untuk lapisan ini."),
                          fields={param: [str(_("Tidak didukung oleh lapisan ini."))]})
    try:
        items = [(layer, sources.filters_for(layer, query)) for layer in layer_objs]
        # Versions are read before the data: a write that lands in between
        # changes the version after it, so this tile is never served stale.
        versions = cache.layer_versions(names)
        marker = cache.tile_marker(name, z, x, y)
        body = vector.tile_render(items, t)
    except ValueError as exc:
        return _error(400, "invalid_filter", _("Nilai filter tidak valid."), fields={"filter": [str(exc)]})
    etag = cache.etag_of(body)
    packed = gzip.compress(body, compresslevel=6, mtime=0) if body else b""
    if cache.tile_marker(name, z, x, y) == marker:
        cache.tile_put(name, z, x, y, _variant(versions, query), etag=etag, body=body, gzipped_body=packed)
    if if_none_match and _etag_matches(if_none_match, etag):
        return _not_modified(etag, gzipped)
    response = _tile_response(etag, packed if gzipped else body, gzipped)
    response["X-Tile-Cache"] = "miss"
    return response


@require_GET
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
    west, south, east, north = document["bounds"]
    document["center"] = [round((west + east) / 2, 6), round((south + north) / 2, 6), 9]
    response = JsonResponse(document)
    response["Access-Control-Allow-Origin"] = "*"
    return response
