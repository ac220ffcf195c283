"""The server-side tile cache, and invalidation that is never stale.

The store is Redis (TILES_REDIS_URL, default REDIS_URL); without it tiles
are built from PostGIS on every request and nothing is kept. Layout:

- `v:<layer>` holds the layer's data version, a random token. A change to a
  polygon layer (or anything that moves every tile) replaces the token, so
  every tile built from the old data is simply never asked for again. A
  token is never reused: if the key is lost (eviction, purge) a fresh token
  is made, which costs cache misses, never a stale tile.
- `b:<name>:<z>:<x>:<y>` is one hash per tile (name is a layer id or a
  composite "a,b"); its fields are `<variant>|e` (the ETag) and `<variant>|d`
  (the body), where the variant folds in the layer versions, the filters and
  the encoding. A point write deletes exactly the hashes of the tiles whose
  buffered envelope holds the old or the new location, at every zoom, for the
  layer and every composite containing it.

The ETag is a hash of the body, so a tile rebuilt to the same bytes keeps its
ETag, and a 304 needs only the cache: no database, no registry.

The cache is an optimisation, never the source of truth. Every variant also
folds in the cache epoch, a PostgreSQL sequence (`tiles_cache_epoch`): an
invalidation the store could not take (Redis down or frozen), a store that
comes back after an outage, a Redis server that restarted (a new run_id on a
new connection: it may hold an RDB file older than invalidations it had
taken), and a restore move the epoch on, so nothing cached before is ever
served again. A lookup reuses the epoch its process read less than
TILES_CACHE_EPOCH_REUSE_SECONDS ago (not across a new Redis connection), and
an advance for a write waits that long before the write is answered
(cache_epoch, cache_epoch_advance). While the store fails, tiles are built from
PostGIS and not kept (a circuit breaker skips the store for
TILES_CACHE_RETRY_SECONDS after a failure instead of waiting on it per request).

The edge mirror (TILES_EDGE_DIR, off when empty): every unfiltered vector tile
kept in the cache is also written, gzipped, to
`<TILES_EDGE_DIR>/tiles/<name>/<z>/<x>/<y>.mvt.gz`, the tile's own URL, so
nginx serves cache hits from files without reaching Django
(deploy/nginx/kubu-raya-tiles.conf). The same invalidations delete those files:
a point write unlinks the files of exactly the tiles it touches, a new layer
version removes the layer's folders (and those of composites containing it),
a purge removes everything. A file is written only while the layers' versions
and the tile's marker are those read before the tile was built, and removed
again if they changed while it was being written.
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import secrets
import shutil
import threading
import time
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from tiles.aggregates import CLUSTER_MARGIN_CELLS

log = logging.getLogger(__name__)

# Half the Web Mercator world width, metres (EPSG:3857).
MERC_HALF = 20037508.342789244


def etag_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=10).hexdigest()


class RedisStore:
    def __init__(self, url: str, prefix: str):
        import redis

        timeout = settings.TILES_REDIS_TIMEOUT
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                          connection_class=_boot_checked_connection(prefix + "boot", url))
        self.prefix = prefix

    def ping(self) -> None:
        self.redis.ping()

    # One round trip for a cached tile: the layers' versions, then the
    # tile's ETag and body for the variant they make. The tile's marker and
    # the versions come back too, so a miss can be built without asking again.
    _LOOKUP = """
    local n = tonumber(ARGV[1])
    local versions = redis.call('MGET', unpack(KEYS, 1, n))
    local marker = redis.call('GET', KEYS[n + 2])
    for i = 1, n do if not versions[i] then return false end end
    local variant = table.concat(versions, '.') .. '.' .. ARGV[4] .. '|' .. ARGV[2]
    local out = redis.call('HMGET', KEYS[n + 1], variant .. '|e', variant .. ARGV[3])
    return {out[1] or false, out[2] or false, marker or false, unpack(versions)}
    """

    # Keep a built tile only if its invalidation marker is unchanged.
    _PUT_IF = """
    local current = redis.call('GET', KEYS[1]) or ''
    if current ~= ARGV[1] then return 0 end
    redis.call('HSET', KEYS[2], unpack(ARGV, 3))
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
    return 1
    """

    def _k(self, key: str) -> str:
        return self.prefix + key

    # A point write in one round trip: the composites containing the layer
    # (the set "composites"), then for each name and tile a new marker and
    # the tile's hash deleted. The tile keys are built here from the prefix,
    # as tile_key/marker_key build them (one Redis server, not a Cluster).
    _INVALIDATE_POINT = """
    local layer, token, ttl, prefix = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
    local names = {layer}
    for _, c in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      for part in string.gmatch(c, '[^,]+') do
        if part == layer then table.insert(names, c) break end
      end
    end
    local dropped = 0
    for _, name in ipairs(names) do
      for i = 5, #ARGV do
        redis.call('SET', prefix .. 'm:' .. name .. ':' .. ARGV[i], token, 'EX', ttl)
        dropped = dropped + redis.call('DEL', prefix .. 'b:' .. name .. ':' .. ARGV[i])
      end
    end
    return {dropped, unpack(names)}
    """

    def invalidate_point(self, layer_id: str, tiles: list[tuple[int, int, int]], token: bytes,
                         ttl: int) -> tuple[int, list[str]]:
        """New markers for, and deletion of, `tiles` (z, x, y) of the layer and
        of every composite containing it: (tiles dropped, names)."""
        if not hasattr(self, "_invalidate_point"):
            self._invalidate_point = self.redis.register_script(self._INVALIDATE_POINT)
        dropped, *names = self._invalidate_point(
            keys=[self._k("composites")],
            args=[layer_id, token, ttl, self.prefix, *(f"{z}:{x}:{y}" for z, x, y in tiles)])
        return dropped, [n.decode() for n in names]

    def put_if_marker(self, marker_key: str, marker: bytes | None, key: str, mapping: dict, ttl: int) -> bool:
        if not hasattr(self, "_put_if"):
            self._put_if = self.redis.register_script(self._PUT_IF)
        args = [marker or b"", ttl]
        for field, value in mapping.items():
            args += [field, value]
        return bool(self._put_if(keys=[self._k(marker_key), self._k(key)], args=args))

    def lookup(self, version_keys: list[str], tile_key: str, marker_key: str, qhash: str, field: str, epoch: str):
        """(versions, marker, etag, body), or None when a version is missing."""
        if not hasattr(self, "_lookup"):
            self._lookup = self.redis.register_script(self._LOOKUP)
        keys = [self._k(k) for k in version_keys] + [self._k(tile_key), self._k(marker_key)]
        result = self._lookup(keys=keys, args=[len(version_keys), qhash, field, epoch])
        if not result:
            return None
        etag, body, marker, *versions = result
        # An empty tile's body is b"" (kept: a 204 is a hit too); a missing field is None.
        return [v.decode() for v in versions], marker or None, etag or None, body

    def get_many(self, keys: list[str]) -> list[bytes | None]:
        return self.redis.mget([self._k(k) for k in keys])

    def add(self, key: str, value: bytes) -> None:
        self.redis.set(self._k(key), value, nx=True)

    def set(self, key: str, value: bytes) -> None:
        self.redis.set(self._k(key), value)

    def delete_many(self, keys: list[str]) -> int:
        return self.redis.delete(*[self._k(k) for k in keys]) if keys else 0

    def set_add(self, key: str, member: str) -> None:
        self.redis.sadd(self._k(key), member)

    def purge(self, pattern: str = "*") -> int:
        n = 0
        for key in self.redis.scan_iter(match=self._k(pattern), count=1000):
            n += self.redis.delete(key)
        return n

    def tile_keys(self) -> list[str]:
        cut = len(self.prefix)
        return [k.decode()[cut:] for k in self.redis.scan_iter(match=self._k("b:*"), count=1000)]


def _boot_checked_connection(boot_key: str, url: str):
    """A redis-py connection class that, on every new connection, compares the
    server's run_id (new at each start) with the one recorded under
    `boot_key`. A server that restarted may hold data from an RDB file older
    than invalidations it had taken (a quick restart goes unnoticed: redis-py
    reconnects and retries silently): the cache epoch moves on before the
    connection is used, then the new run_id is recorded."""
    import redis

    scheme = url.split("://", 1)[0]
    base = {"rediss": redis.SSLConnection, "unix": redis.UnixDomainSocketConnection}.get(scheme, redis.Connection)

    class BootCheckedConnection(base):
        def on_connect_check_health(self, *args, **kwargs):
            super().on_connect_check_health(*args, **kwargs)
            self.send_command("INFO", "server")
            info = self.read_response()
            info = info.decode() if isinstance(info, bytes) else str(info)
            run_id = next((line.split(":", 1)[1].strip() for line in info.splitlines()
                           if line.startswith("run_id:")), "")
            self.send_command("GET", boot_key)
            recorded = self.read_response()
            if recorded is None or recorded.decode() != run_id:
                self._restarted(recorded, run_id)
            with _epoch_lock:  # a lookup that began before this connection reads the epoch again
                _store_generation[0] += 1

        def _restarted(self, recorded, run_id):
            from django.db import DatabaseError

            try:
                cache_epoch_advance(wait=False)  # nothing is served from this server yet
            except DatabaseError as exc:  # the store is skipped until the epoch can move
                raise redis.ConnectionError(f"cache epoch not advanced: {type(exc).__name__}") from exc
            log.warning("tile cache store %s (run_id %s); cache epoch advanced",
                        "restarted" if recorded is not None else "without a recorded run_id", run_id[:8])
            self.send_command("SET", boot_key, run_id)
            self.read_response()

    return BootCheckedConnection


@lru_cache(maxsize=4)
def _store_for(redis_url: str, prefix: str) -> RedisStore:
    return RedisStore(redis_url, prefix)


def store() -> RedisStore | None:
    """The tile cache: Redis at TILES_REDIS_URL (default REDIS_URL). None
    when it is not set: then tiles are built from PostGIS and never kept."""
    if not settings.TILES_REDIS_URL:
        return None
    return _store_for(settings.TILES_REDIS_URL, settings.TILES_CACHE_PREFIX)


# --- The store may fail: circuit breaker, and the epoch in PostgreSQL ------------

def _store_errors() -> tuple:
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a requirement
        return (OSError,)
    return (RedisError, OSError)


STORE_ERRORS = _store_errors()
_breaker = {"open_until": 0.0, "tripped": False}
_breaker_lock = threading.Lock()


def _trip(exc: BaseException) -> None:
    with _breaker_lock:
        if not _breaker["tripped"]:
            log.warning("tile cache store unavailable (%s); tiles are built from the database", exc)
        _breaker["tripped"] = True
        _breaker["open_until"] = time.monotonic() + settings.TILES_CACHE_RETRY_SECONDS


def store_available() -> bool:
    """False while the breaker is open. The first call after it closes pings
    the store; if it answers, the cache epoch moves on before anything is
    read from it (it may have missed writes, or come back from an old RDB file)."""
    if store() is None:
        return False  # no store configured: build, never keep
    if not _breaker["tripped"]:
        return True
    if time.monotonic() < _breaker["open_until"]:
        return False
    try:
        store().ping()
    except STORE_ERRORS as exc:
        _trip(exc)
        return False
    with _breaker_lock:
        if _breaker["tripped"]:
            cache_epoch_advance(wait=False)  # each write it missed advanced (and waited) already
            _breaker["tripped"] = False
            log.warning("tile cache store back; cache epoch advanced")
    return True


_EPOCH_SQL = "SELECT last_value FROM tiles_cache_epoch"
# Never lower than the clock in ms: after a restore (which brings back an
# older sequence value) the next epoch is still one never used before.
_EPOCH_ADVANCE_SQL = ("SELECT setval('tiles_cache_epoch', GREATEST((SELECT last_value FROM tiles_cache_epoch) + 1, "
                      "(extract(epoch FROM clock_timestamp()) * 1000)::bigint))")
# The last epoch this process read: [value, started (monotonic, before the
# read), generation]. The generation moves on at every new connection to the
# Redis store (_boot_checked_connection): a value read before it is not reused.
_epoch_memo: list = [None, float("-inf"), -1]
_store_generation = [0]
_epoch_lock = threading.Lock()
_epoch_last = [None]  # the last value read or set, for when PostgreSQL does not answer


def cache_epoch(*, reuse_seconds: float | None = None) -> str:
    """The current cache epoch, from PostgreSQL, or the value this process
    read less than TILES_CACHE_EPOCH_REUSE_SECONDS ago (0: read at every
    lookup). Never stale for a request that starts after an advance was
    answered: whoever advances the epoch waits that long before going on
    (cache_epoch_advance), and a reused value was read after the moment it is
    timed from. When the database does not answer, the last value read
    (nothing can be written then either)."""
    from django.db import DatabaseError, connection

    reuse = settings.TILES_CACHE_EPOCH_REUSE_SECONDS if reuse_seconds is None else reuse_seconds
    generation = _store_generation[0]
    value, started, memo_generation = _epoch_memo
    now = time.monotonic()
    if reuse and value is not None and memo_generation == generation and now - started < reuse:
        return value
    try:
        with connection.cursor() as cursor:
            cursor.execute(_EPOCH_SQL)
            value = f"@{cursor.fetchone()[0]:x}"
    except DatabaseError:
        # Close a broken connection now, so the next lookup reconnects once
        # PostgreSQL is back.
        connection.close_if_unusable_or_obsolete()
        if _epoch_last[0] is None:
            raise
        return _epoch_last[0]
    _epoch_last[0] = value
    with _epoch_lock:  # timed from before the read: never older than it says
        if _store_generation[0] == generation and now >= _epoch_memo[1]:
            _epoch_memo[:] = [value, now, generation]
    return value


def cache_epoch_advance(*, wait: bool = True) -> str:
    """Make every cached tile unreachable, whatever the store holds. With
    wait, returns only once every process has stopped reusing the epoch
    before (TILES_CACHE_EPOCH_REUSE_SECONDS): the caller answers after that."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_EPOCH_ADVANCE_SQL)
        value = f"@{cursor.fetchone()[0]:x}"
    _epoch_last[0] = value
    with _epoch_lock:
        _epoch_memo[:] = [value, time.monotonic(), _store_generation[0]]
    if wait and settings.TILES_CACHE_EPOCH_REUSE_SECONDS:
        until = time.monotonic() + settings.TILES_CACHE_EPOCH_REUSE_SECONDS
        if getattr(_epoch_waits, "deferred", None) is not None:
            _epoch_waits.deferred = max(_epoch_waits.deferred, until)  # one wait for the request's advances
        else:
            _sleep_until(until)
    return value


_epoch_waits = threading.local()


class epoch_waits_deferred:
    """Within it, the waits of cache_epoch_advance are taken together on
    leaving (until the last advance's wait is over): a request answers once,
    after its writes' invalidations, however many advanced the epoch
    (ops.middleware.RequestContextMiddleware)."""

    def __enter__(self):
        self.outer = getattr(_epoch_waits, "deferred", None)
        _epoch_waits.deferred = self.outer if self.outer is not None else 0.0
        return self

    def __exit__(self, *exc):
        if self.outer is None:
            until, _epoch_waits.deferred = _epoch_waits.deferred, None
            _sleep_until(until)


def _sleep_until(until: float) -> None:
    """Sleep until the monotonic time `until`, and not at all once it is past:
    time.sleep(0) still gives up the CPU, which on a loaded machine cost every
    request that advanced nothing a wait for its next time slice (issue 25)."""
    delay = until - time.monotonic()
    if delay > 0:
        time.sleep(delay)


# --- Versions -------------------------------------------------------------------

def layer_versions(names: list[str], *, create: bool = True) -> list[str] | None:
    """The current data version of each layer. A missing one is created, or,
    with create=False, None is returned (the caller checks the layer exists
    before making keys for it)."""
    s = store()
    if s is None:
        return None
    keys = [f"v:{n}" for n in names]
    values = s.get_many(keys)
    if any(v is None for v in values):
        if not create:
            return None
        for key, v in zip(keys, values):
            if v is None:
                s.add(key, _token())
        values = s.get_many(keys)
    return [v.decode() for v in values]


def _token() -> bytes:
    # Time-ordered and random: never equal to a token used before.
    return f"{time.time_ns():x}{secrets.token_hex(3)}".encode()


# --- Tile entries ---------------------------------------------------------------

def tile_key(name: str, z: int, x: int, y: int) -> str:
    return f"b:{name}:{z}:{x}:{y}"


def marker_key(name: str, z: int, x: int, y: int) -> str:
    """The tile's invalidation marker: a new token at every point write."""
    return f"m:{name}:{z}:{x}:{y}"


def query_hash(query: dict[str, str]) -> str:
    if not query:
        return "-"
    raw = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def tile_variant(versions: list[str], query: dict[str, str]) -> str:
    """The cache variant of a tile: the layers' data versions and the filters."""
    return ".".join(versions) + "|" + query_hash(query)


def tile_lookup(name: str, z: int, x: int, y: int, query: dict[str, str], *,
                body: str | None, state: dict | None = None) -> tuple[str | None, bytes | None] | None:
    """(etag, body) of a cached tile, from the cache store alone; body is
    None unless asked for ("d" plain, "g" gzip). None when a layer has no
    version yet (nothing of it can be cached). With `state`, also puts there
    `build`: what tile_build_state would return, read in the same round trip
    (so a miss goes on to build without asking the store again)."""
    names = name.split(",")
    if not store_available():  # first: a store coming back advances the epoch
        if state is not None:
            state["build"] = (None, None)  # build, do not keep
        return None
    generation = _store_generation[0]
    epoch = cache_epoch()
    try:
        for _attempt in range(3):
            found = store().lookup([f"v:{n}" for n in names], tile_key(name, z, x, y),
                                   marker_key(name, z, x, y), query_hash(query), f"|{body or 'e'}", epoch)
            if _store_generation[0] == generation:
                break
            # A new connection was made meanwhile (maybe to a server that
            # restarted and advanced the epoch): ask again with the epoch now.
            generation = _store_generation[0]
            epoch = cache_epoch(reuse_seconds=0)
        else:
            raise ConnectionError("tile cache store reconnecting")
    except STORE_ERRORS as exc:
        _trip(exc)
        if state is not None:
            state["build"] = (None, None)
        return None
    if found is None:
        return None
    versions, marker, etag, data = found
    if state is not None:
        state["build"] = (versions + [epoch], marker)
    return (etag.decode() if etag else None), (data if body else None)


def tile_build_state(name: str, z: int, x: int, y: int) -> tuple[list[str] | None, bytes | None]:
    """Read before building a tile: the layers' versions (created if
    missing) and the cache epoch, and the tile's invalidation marker.
    (None, None) when the store is unavailable: build, do not keep."""
    if not store_available():
        return None, None
    # Usually read by the lookup just before; an older epoch keeps the tile
    # where no lookup finds it, never a stale tile where one does.
    epoch = cache_epoch(reuse_seconds=max(1.0, settings.TILES_CACHE_EPOCH_REUSE_SECONDS))
    try:
        keys, values = _state_read(name, z, x, y)
        if any(v is None for v in values[:-1]):
            s = store()
            for key, v in zip(keys[:-1], values[:-1]):
                if v is None:
                    s.add(key, _token())
            values = s.get_many(keys)
    except STORE_ERRORS as exc:
        _trip(exc)
        return None, None
    return [v.decode() for v in values[:-1]] + [epoch], values[-1]


def _state_read(name: str, z: int, x: int, y: int) -> tuple[list[str], list[bytes | None]]:
    """The keys of a tile's layer versions and marker, and their values."""
    keys = [f"v:{n}" for n in name.split(",")] + [marker_key(name, z, x, y)]
    return keys, store().get_many(keys)


def tile_put(name, z, x, y, variant, *, etag: str, body: bytes, gzipped_body: bytes,
             marker: bytes | None) -> bool:
    """Keep a built tile unless it was invalidated while being built (its
    marker changed): then the tile may miss that write, and is dropped. A
    store that fails keeps nothing."""
    s = store()
    try:
        kept = s.put_if_marker(marker_key(name, z, x, y), marker, tile_key(name, z, x, y),
                               {f"{variant}|e": etag.encode(), f"{variant}|d": body, f"{variant}|g": gzipped_body},
                               settings.TILES_CACHE_TTL)
        if kept and "," in name:
            s.set_add("composites", name)
    except STORE_ERRORS as exc:
        _trip(exc)
        return False
    return kept


# --- Edge mirror for nginx ------------------------------------------------------

def edge_root() -> Path | None:
    return Path(settings.TILES_EDGE_DIR) if settings.TILES_EDGE_DIR else None


def edge_path(name: str, z: int, x: int, y: int) -> Path | None:
    root = edge_root()
    return root / "tiles" / name / str(z) / str(x) / f"{y}.mvt.gz" if root else None


def _edge_current(name: str, z: int, x: int, y: int, versions: list[str], marker: bytes | None) -> bool:
    """The layers' versions, the cache epoch (versions[-1]) and the tile's
    marker are still those the tile was built under."""
    try:
        _, values = _state_read(name, z, x, y)
    except STORE_ERRORS as exc:
        _trip(exc)
        return False
    return (values[-1] == marker and [v.decode() if v else None for v in values[:-1]] == versions[:-1]
            and cache_epoch() == versions[-1])


def edge_put(name: str, z: int, x: int, y: int, *, versions: list[str], marker: bytes | None,
             gzipped_body: bytes) -> bool:
    """Mirror a built, unfiltered, non-empty vector tile for nginx. Returns
    whether the file was kept. Empty tiles are not mirrored (Django answers
    them 204 from the cache)."""
    path = edge_path(name, z, x, y)
    if path is None or not gzipped_body:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    tmp.write_bytes(gzipped_body)
    os.chmod(tmp, 0o644)
    if not _edge_current(name, z, x, y, versions, marker):
        tmp.unlink(missing_ok=True)
        return False
    os.replace(tmp, path)
    if not _edge_current(name, z, x, y, versions, marker):
        # Invalidated while being written: whichever ran last removes it.
        path.unlink(missing_ok=True)
        return False
    return True


def _edge_drop_tiles(tiles) -> None:
    for tile in tiles:
        path = edge_path(*tile)
        if path is not None:
            path.unlink(missing_ok=True)


def _edge_drop_layer(layer_id: str) -> None:
    root = edge_root()
    if root is None or not (root / "tiles").is_dir():
        return
    for folder in (root / "tiles").iterdir():
        if layer_id in folder.name.split(","):
            # A rename is atomic for nginx: the folder is gone at once, then emptied.
            trash = root / f".trash-{_token().decode()}"
            try:
                os.replace(folder, trash)
            except FileNotFoundError:
                continue
            shutil.rmtree(trash, ignore_errors=True)


def _edge_purge() -> None:
    root = edge_root()
    if root is not None and root.is_dir():
        for entry in root.iterdir():
            trash = root / f".trash-{_token().decode()}"
            os.replace(entry, trash)
            shutil.rmtree(trash, ignore_errors=True)


# --- Invalidation ---------------------------------------------------------------

def tiles_at_point(lon: float, lat: float, *, max_zoom: int | None = None,
                   buffer_px: int | None = None) -> list[tuple[int, int, int]]:
    """Every (z, x, y) whose buffered tile envelope holds the point: the tile
    containing it at each zoom, plus a neighbour when the point lies within
    the tile buffer of an edge (MVT buffers draw such a point in both). At
    cluster zooms the margin is the clusters' (CLUSTER_MARGIN_CELLS): a cell
    near an edge is drawn by the neighbour too, wherever its mean lies."""
    max_zoom = settings.TILES_MAX_ZOOM if max_zoom is None else max_zoom
    cluster_margin = 0.0 if buffer_px == 0 else CLUSTER_MARGIN_CELLS / settings.TILES_CELLS_PER_TILE
    buffer_px = settings.TILES_BUFFER if buffer_px is None else buffer_px
    lat = max(min(lat, 85.0511287798), -85.0511287798)
    mx = MERC_HALF * lon / 180.0
    my = MERC_HALF * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi
    # Tile units from the top-left corner of the world.
    fx = (mx + MERC_HALF) / (2 * MERC_HALF)
    fy = (MERC_HALF - my) / (2 * MERC_HALF)
    out = []
    for z in range(max_zoom + 1):
        n = 2 ** z
        margin = buffer_px / settings.TILES_EXTENT
        if z < settings.TILES_POINTS_MIN_ZOOM:
            margin = max(margin, cluster_margin)
        xs = {int(math.floor(fx * n + d)) for d in (-margin, 0.0, margin)}
        ys = {int(math.floor(fy * n + d)) for d in (-margin, 0.0, margin)}
        out += [(z, x, y) for x in sorted(xs) if 0 <= x < n for y in sorted(ys) if 0 <= y < n]
    return out


def _names_with(layer_id: str, composites: set[str]) -> list[str]:
    return [layer_id] + sorted(c for c in composites if layer_id in c.split(","))


def tiles_invalidate_point(layer_id: str, lon: float, lat: float) -> int:
    """Drop the cached tiles of `layer_id` (and of composites containing it)
    that show a point at (lon, lat), at every zoom. Returns tiles dropped."""
    tiles = tiles_at_point(lon, lat)
    if store() is None:
        # Nothing is kept without a store (and so nothing mirrored either).
        return 0
    try:
        if not store_available():
            raise ConnectionError("tile cache store skipped (circuit open)")
        dropped, names = store().invalidate_point(layer_id, tiles, _token(), settings.TILES_MARKER_TTL)
    except STORE_ERRORS as exc:
        # The store may still hold these tiles (and return with them): nothing
        # cached before this moment is served again.
        if not isinstance(exc, ConnectionError) or "circuit open" not in str(exc):
            _trip(exc)
        cache_epoch_advance()
        dropped, names = 0, _edge_names(layer_id)
    if edge_root() is not None:
        _edge_drop_tiles([(name, z, x, y) for z, x, y in tiles for name in names])
    return dropped


def tiles_invalidate_layer(layer_id: str) -> None:
    """Give the layer a new data version: every cached tile of it (and of the
    composites containing it) stops matching at once."""
    if store() is None:
        return
    try:
        if not store_available():
            raise ConnectionError("tile cache store skipped (circuit open)")
        store().set(f"v:{layer_id}", _token())
    except STORE_ERRORS as exc:
        if not isinstance(exc, ConnectionError) or "circuit open" not in str(exc):
            _trip(exc)
        cache_epoch_advance()
    _edge_drop_layer(layer_id)


def _edge_names(layer_id: str) -> list[str]:
    """The layer and the composites containing it, from the edge mirror's folders."""
    root = edge_root()
    if root is None or not (root / "tiles").is_dir():
        return [layer_id]
    return _names_with(layer_id, {p.name for p in (root / "tiles").iterdir() if "," in p.name})


def tiles_purge() -> int:
    """Empty the cache (tiles and versions) and the edge mirror; the cache
    epoch moves on, so even a store that cannot be reached now (and comes
    back later) serves nothing cached before."""
    cache_epoch_advance()
    _edge_purge()
    if store() is None:
        return 0
    try:
        return store().purge()
    except STORE_ERRORS as exc:
        _trip(exc)
        return 0
