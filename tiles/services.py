"""Writes of the tiles app: building tiles into the cache, warming it."""
from __future__ import annotations

import gzip
import math
from collections.abc import Callable

from django.conf import settings

from tiles import cache, sources, vector


def vector_tile_build(*, name: str, layers: list, t: vector.TileRequest, query: dict[str, str],
                      build_state: tuple[list[str], bytes | None] | None = None,
                      gzip_now: bool = True) -> tuple[str, bytes, bytes | None, Callable[[], bool]]:
    """Build a tile in one statement; returns (etag, body, gzipped body or
    None when `gzip_now` is false, keep). `keep()` compresses what is not
    compressed yet and keeps the tile in the cache (and the edge mirror): the
    view calls it once the response is sent (write-behind), so a miss costs
    the client the statement, not the cache writes. ValueError on a bad
    filter value. `build_state` is (versions, marker) when the caller's cache
    lookup just read them (before any data was read)."""
    items = [(layer, sources.filters_for(layer, query)) for layer in layers]
    # Versions and the invalidation marker are read before the data: a write
    # committing in between changes one of them afterwards, so the tile is
    # either kept under a key nobody asks for or not kept at all.
    versions, marker = build_state or cache.tile_build_state(name, t.z, t.x, t.y)
    body = vector.tile_render(items, t)
    etag = cache.etag_of(body)
    packed = _gzip(body) if gzip_now else None

    def keep() -> bool:
        if versions is None:  # the cache store is unavailable: built, not kept
            return False
        gzipped = packed if packed is not None else _gzip(body)
        kept = cache.tile_put(name, t.z, t.x, t.y, cache.tile_variant(versions, query), etag=etag, body=body,
                              gzipped_body=gzipped, marker=marker)
        if kept and not query:
            cache.edge_put(name, t.z, t.x, t.y, versions=versions, marker=marker, gzipped_body=gzipped)
        return kept

    return etag, body, packed, keep


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0) if body else b""


def tiles_covering(bounds: tuple[float, float, float, float], z: int):
    """(x, y) of the tiles at zoom z covering a lon/lat box."""
    west, south, east, north = bounds

    def tx(lon):
        return int((lon + 180.0) / 360.0 * 2 ** z)

    def ty(lat):
        return int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * 2 ** z)

    for x in range(tx(west), min(tx(east), 2 ** z - 1) + 1):
        for y in range(ty(north), min(ty(south), 2 ** z - 1) + 1):
            yield x, y


def cache_warm(*, layer_ids: list[str], min_zoom: int, max_zoom: int, stdout=None) -> dict:
    """Build every tile of each layer over the layer's bounds, z min..max."""
    counts = {"tiles": 0, "empty": 0}
    for layer_id in layer_ids:
        layer = sources.layer_get(layer_id)
        if layer is None:
            raise ValueError(f"unknown layer {layer_id}")
        bounds = vector.layers_bounds([layer])
        for z in range(min_zoom, min(max_zoom, settings.TILES_MAX_ZOOM) + 1):
            for x, y in tiles_covering(bounds, z):
                _, body, _, keep = vector_tile_build(name=layer_id, layers=[layer],
                                                     t=vector.TileRequest(z, x, y), query={})
                keep()
                counts["tiles"] += 1
                counts["empty"] += not body
            if stdout:
                stdout.write(f"{layer_id} z{z}: {counts['tiles']} tiles so far")
    return counts
