"""The path of a vector tile request (tiles.apis.vector_tile is its only
entry besides nginx's edge files): resolve the URL, answer from the cache
(one Redis round trip), else build the tile in one statement and keep it
after the response is sent. Also warming the cache."""
from __future__ import annotations

import gzip
import logging
import math
from collections.abc import Callable

from django.conf import settings

from common.metrics import TILE_CACHE
from tiles import cache, sources, vector

log = logging.getLogger(__name__)

MVT_TYPE = "application/vnd.mapbox-vector-tile"
# gzip level of a kept tile: level 1 compresses a dense 405 KiB z14 reports
# tile to 5% more bytes than level 6 in a quarter of the time (9.5 ms
# against 39 ms on a loaded 2-core machine, issue 25), and a miss pays it.
TILE_GZIP_LEVEL = 1


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip: named (or `*`) with a
    q-value above zero ("gzip;q=0" refuses it, RFC 9110 12.5.3)."""
    accepted = None
    for item in header.lower().split(","):
        coding, _sep, params = item.strip().partition(";")
        coding = coding.strip()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding == "*" and accepted is not None:
            continue  # an explicit gzip entry wins over the wildcard
        accepted = q > 0
    return bool(accepted)


def etag_matches(header: str, etag: str) -> bool:
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.removeprefix("W/").strip('"') == etag:
            return True
    return False


def tile_headers(etag: str, *, gzipped: bool, empty: bool, content_type: str = MVT_TYPE) -> list[tuple[str, str]]:
    # Weak: the plain and the gzip bytes are the same tile (Vary says which
    # one was sent), and If-None-Match compares weakly anyway.
    headers = [("ETag", f'W/"{etag}"'),
               ("Cache-Control", settings.TILES_CACHE_CONTROL), ("Vary", "Accept-Encoding"),
               ("Access-Control-Allow-Origin", "*")]
    if not empty:
        headers.append(("Content-Type", content_type))
        if gzipped:
            headers.append(("Content-Encoding", "gzip"))
    return headers


def cached_tile(name: str, z: int, x: int, y: int, query: dict[str, str], *, accept_gzip: bool,
                if_none_match: str | None, state: dict | None = None) -> tuple[int, list, bytes] | None:
    """(status, headers, body) from the cache alone, or None on a miss
    (then `state`, if given, holds what building the tile needs). A
    revalidation asks for the ETag alone first: bodies run to hundreds of KB,
    and a 304 should not carry one from the cache (measured: fetching the body
    with the ETag cut in-process 304s from 2,079/s to 1,230/s)."""
    if if_none_match:
        found = cache.tile_lookup(name, z, x, y, query, body=None, state=state)
        if found is None:
            return None
        etag, _ = found
        if etag is not None and etag_matches(if_none_match, etag):
            TILE_CACHE.labels(layer=name, result="not_modified").inc()
            return 304, tile_headers(etag, gzipped=accept_gzip, empty=True), b""
    found = cache.tile_lookup(name, z, x, y, query, body="g" if accept_gzip else "d", state=state)
    if found is None or found[0] is None or found[1] is None:
        return None
    etag, body = found
    status = 200 if body else 204
    TILE_CACHE.labels(layer=name, result="hit").inc()
    return status, tile_headers(etag, gzipped=accept_gzip, empty=not body) + [("X-Tile-Cache", "hit")], body


def after_response(keep):
    """`keep` (tiles.services.vector_tile_build) as a closer to run once the
    response is sent: a cache that is down costs the next request a rebuild,
    never this response."""
    def run():
        try:
            keep()
        except Exception:
            log.exception("tile not kept in the cache")
    return run


def tile_resolve(name: str, z: int, x: int, y: int):
    """(layers, TileRequest) of a tile URL, or why it names no tile: "range"
    (z/x/y), "composite" (too many or repeated layers) or "layer" (unknown)."""
    names = name.split(",")
    t = vector.TileRequest(z, x, y)
    try:
        t.check()
    except vector.TileOutOfRange:
        return "range"
    if len(names) > settings.TILES_MAX_COMPOSITE or len(set(names)) != len(names):
        return "composite"
    layers = [sources.layer_get(n) for n in names]
    if any(layer is None for layer in layers):
        return "layer"
    return layers, t


def tile_build_answer(name: str, layers: list, t, query: dict[str, str], *, accept_gzip: bool,
                      if_none_match: str | None, build_state) -> tuple[int, list, bytes, object]:
    """(status, headers, body, keep) of a missed tile built now, for the view; `keep` runs after the response
    (after_response). ValueError on a bad filter value."""
    etag, body, packed, keep = vector_tile_build(name=name, layers=layers, t=t, query=query,
                                                          build_state=build_state, gzip_now=accept_gzip)
    if if_none_match and etag_matches(if_none_match, etag):
        return 304, tile_headers(etag, gzipped=accept_gzip, empty=True), b"", keep
    TILE_CACHE.labels(layer=name, result="miss" if body else "empty").inc()
    out = (packed if accept_gzip else body) if body else b""
    return (200 if body else 204, tile_headers(etag, gzipped=accept_gzip, empty=not body)
            + [("X-Tile-Cache", "miss")], out, keep)




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
    return gzip.compress(body, compresslevel=TILE_GZIP_LEVEL, mtime=0) if body else b""


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
