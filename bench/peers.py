"""The peers in the project's own benchmark (issue 25): tipg, pygeoapi and
TiTiler, installed from PyPI into bench-only virtual environments, serving the
same data as ours, measured over loopback HTTP in interleaved rounds.

    KR_DB_NAME=... .venv/bin/python bench/peers.py [--reports 1000000] [--rounds 3] [--clients 4]

What it does, in one run:
1. Tops the project's database up to --reports synthetic reports with the
   project's own generator and bulk import (`reports_generate_synthetic`).
2. Copies what OUR `reports` layer publishes (its public projection, through
   the layer registry: the same rows, points and fields) into the table
   `bench_peers.reports` (primary key, GiST index, analyzed), which the peers
   serve through their normal configuration: tipg by schema, pygeoapi with its
   PostgreSQL provider. A 4000x4000 float32 COG is registered as our raster
   `bench-elev`; TiTiler and rio-tiler read the same file.
3. Creates the bench virtual environments under .state/peers when missing
   (Python 3.12 from pyenv: pygeoapi 0.24 needs it; tipg 1.6 and TiTiler 2.4
   alike), never touching requirements.txt.
4. Starts every server with 2 workers: ours = gunicorn with
   deploy/gunicorn.conf.py and production settings (HTTPS redirect off: plain
   loopback HTTP), tipg (uvicorn), tipg with its tile feature cap lifted,
   pygeoapi (gunicorn), TiTiler (uvicorn).
   With --before DIR, a second "ours" (`ours-before`) runs from another
   checkout (e.g. main before a change) on the same database, in the same
   rounds: before and after measured in one run. It reads the public
   projection as the view it was before reports migration 0011 (schema
   bench_before, with the old expression index).
5. Per round, per kind of work, runs the SAME request list against every
   server one after the other (the server order rotates per round), with
   --clients keep-alive client threads, and prints throughput, p50/p95/p99
   and bytes. The references run in the same round: the page or tile SQL
   alone through psycopg (--clients connections), rio-tiler in-process.
   Tiles are uncached: each round asks tiles no server was asked before, and
   our tile cache is emptied before each of our runs.
"""
import argparse
import contextlib
import http.client
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

STATE = ROOT / ".state" / "peers"
PY312 = os.environ.get("PEERS_PYTHON", str(Path.home() / ".pyenv/versions/3.12.1/bin/python"))
VENVS = {
    "tipg": ["tipg==1.6.*", "uvicorn"],
    "pygeoapi": ["pygeoapi==0.24.*", "gunicorn", "psycopg2-binary", "sqlalchemy", "geoalchemy2", "pygeofilter"],
    "titiler": ["titiler.application==2.4.*", "uvicorn"],
}
SCHEMA = "bench_peers"
RASTER = "bench-elev"
SEED = 20261207


# ---------------------------------------------------------------- set-up

def venv(name: str) -> Path:
    path = STATE / f"venv-{name}"
    stamp = path / ".installed"
    wanted = " ".join(VENVS[name])
    if stamp.exists() and stamp.read_text() == wanted:
        return path
    if not Path(PY312).exists():
        raise SystemExit(f"{PY312} missing: pyenv's Python 3.12 is needed for the peers (PEERS_PYTHON=...)")
    print(f"[peers] installing {wanted} into {path}", flush=True)
    subprocess.run([PY312, "-m", "venv", str(path)], check=True)
    subprocess.run([str(path / "bin/pip"), "install", "-q", *VENVS[name]], check=True)
    stamp.write_text(wanted)
    return path


def pip_version(path: Path, package: str) -> str:
    out = subprocess.run([str(path / "bin/pip"), "show", package], capture_output=True, text=True).stdout
    return next((line.split()[1] for line in out.splitlines() if line.startswith("Version:")), "?")


def ensure_reports(target: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_report WHERE is_synthetic")
        have = cursor.fetchone()[0]
    if have < target:
        print(f"[peers] {have:,} synthetic reports; topping up to {target:,} (project's bulk import)", flush=True)
        call_command("reports_seed_categories", verbosity=0)
        call_command("reports_generate_synthetic", target=target, seed=SEED, verbosity=0)


def copy_public_reports() -> int:
    """The rows our `reports` layer publishes, as one plain table the peers read."""
    from layers.registry import layer_get

    sql, params = layer_get("reports").table_sql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reports_report")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", [f"{SCHEMA}.reports"])
        row = cursor.fetchone()
        if row and row[0] == f"copy of {total}":
            cursor.execute(f"SELECT count(*) FROM {SCHEMA}.reports")
            return cursor.fetchone()[0]
        print("[peers] copying the public projection of reports into bench_peers.reports", flush=True)
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cursor.execute(f"DROP TABLE IF EXISTS {SCHEMA}.reports")
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(f"CREATE TABLE {SCHEMA}.reports AS SELECT id::text AS id, "
                       f"geom::geometry(Point, 4326) AS geom, category_code, category_name, status, desa_code, "
                       f"desa_name, kecamatan_code, agency_code, agency_name, created_at, resolved_at, "
                       f"supporters_count FROM ({sql}) AS t", params)
        cursor.execute(f"ALTER TABLE {SCHEMA}.reports ADD PRIMARY KEY (id)")
        cursor.execute(f"CREATE INDEX ON {SCHEMA}.reports USING gist (geom)")
        cursor.execute(f"ANALYZE {SCHEMA}.reports")
        cursor.execute(f"COMMENT ON TABLE {SCHEMA}.reports IS 'copy of {total}'")
        cursor.execute(f"SELECT count(*) FROM {SCHEMA}.reports")
        return cursor.fetchone()[0]


def ensure_raster() -> Path:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from tiles.models import Raster
    from tiles.raster import raster_register

    found = Raster.objects.filter(name=RASTER).first()
    if found and Path(found.path).exists():
        return Path(found.path)
    src = STATE / "elev-source.tif"
    yy, xx = np.mgrid[0:4000, 0:4000].astype("float32")
    data = (np.sin(xx / 300) * np.cos(yy / 200) * 20 + 25).astype("float32")
    data[:200, :200] = -9999
    with rasterio.open(src, "w", driver="GTiff", width=4000, height=4000, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(109.0, 0.25, 0.0003, 0.0003), nodata=-9999) as dst:
        dst.write(data, 1)
    return Path(raster_register(name=RASTER, source_path=src, unit="m").path)


# ---------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def libpq_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    return f"postgresql://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def server(name: str, args: list[str], env: dict, probe: str, cwd: Path = ROOT):
    port = free_port()
    args = [a.replace("{port}", str(port)) for a in args]
    log = open(STATE / f"{name}.log", "w")
    proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited; see {STATE / (name + '.log')}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                c.request("GET", probe)
                if c.getresponse().status < 500:
                    break
            if time.time() > deadline:
                raise SystemExit(f"{name} did not answer {probe}; see {STATE / (name + '.log')}")
            time.sleep(0.5)
        time.sleep(2)  # every worker up
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


BEFORE_SCHEMA = "bench_before"


def before_schema() -> None:
    """For `ours-before`: the public projection as it was before reports
    migration 0011 (the view over reports_report with its expression index
    on the snapped point, migration 0009), in a schema of its own that the
    before-server reads first; everything else it reads is the same."""
    from common.publication import PUBLIC_GRID_DEG

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {BEFORE_SCHEMA}")
        cursor.execute(f"""
            CREATE OR REPLACE VIEW {BEFORE_SCHEMA}.reports_public_report AS
            SELECT r.id, r.category_id, r.status, ST_SnapToGrid(r.location, {PUBLIC_GRID_DEG}) AS location,
                   r.desa_id, r.kecamatan_id, r.agency_id, public.kr_scrub_personal(r.description) AS description,
                   r.created_at, r.updated_at, r.resolved_at, r.deadline, r.supporters_count, r.is_synthetic
              FROM public.reports_report r JOIN public.reports_category c ON c.id = r.category_id
             WHERE c.publication_class = 'P0' AND NOT r.confidential AND r.status NOT IN ('rejected', 'merged')""")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS bench_before_public_point ON public.reports_report "
                       f"USING gist (ST_SnapToGrid(location, {PUBLIC_GRID_DEG}::double precision))")
        cursor.execute("ANALYZE public.reports_report")


def ours(workers: int, tiles_redis: str, checkout: Path = ROOT, name: str = "ours", search_path: str = ""):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "bench-only-" + "x" * 40,
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false", "DEBUG": "false",
           "DATABASE_URL": "postgis" + libpq_url()[len("postgresql"):], "GUNICORN_WORKERS": str(workers),
           "LOG_LEVEL": "WARNING", "GUNICORN_LOGLEVEL": "warning", "TILES_REDIS_URL": tiles_redis,
           "TILES_EDGE_DIR": "", "KR_DB_NAME": os.environ.get("KR_DB_NAME", "kubu_raya"),
           "TILES_RASTER_DIR": str(settings.TILES_RASTER_DIR)}
    for scope in ("ANON", "USER", "REPORT_SUBMIT", "LOOKUP", "TILES", "OGC", "EXPORT"):
        env[f"THROTTLE_{scope}"] = "100000000/min"
    if search_path:
        # The settings write libpq `options` themselves; this one setting is
        # spliced into them verbatim (bench only).
        env["DB_PLAN_CACHE_MODE"] = f"force_generic_plan -c search_path={search_path}"
    return server(name, [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                         "-b", "127.0.0.1:{port}", "config.wsgi"], env, "/healthz", cwd=checkout)


def tipg(workers: int, capped: bool):
    path = venv("tipg")
    env = {"DATABASE_URL": libpq_url(), "TIPG_DB_SCHEMAS": json.dumps([SCHEMA]),
           "TIPG_MAX_FEATURES_PER_QUERY": "10000", "TIPG_DEFAULT_FEATURES_PER_QUERY": "1000",
           "TIPG_MAX_FEATURES_PER_TILE": "10000" if capped else "100000000", "TIPG_DEBUG": "FALSE"}
    return server("tipg" if capped else "tipg-uncapped",
                  [str(path / "bin/uvicorn"), "tipg.main:app", "--host", "127.0.0.1", "--port", "{port}",
                   "--workers", str(workers), "--log-level", "warning", "--no-access-log"], env, "/collections")


def pygeoapi(workers: int):
    path = venv("pygeoapi")
    db = settings.DATABASES["default"]
    port = free_port()  # the config names its own URL; the server binds the same port
    config = STATE / "pygeoapi-config.yml"
    config.write_text(json.dumps({
        "server": {"bind": {"host": "127.0.0.1", "port": port}, "url": f"http://127.0.0.1:{port}",
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8", "language": "en-US",
                   "limits": {"default_items": 1000, "max_items": 10000}, "map": {
                       "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png", "attribution": "OSM"}},
        "logging": {"level": "ERROR"},
        "metadata": {"identification": {"title": "bench", "description": "bench", "keywords": ["bench"],
                                        "keywords_type": "theme", "terms_of_service": "none",
                                        "url": "http://127.0.0.1"},
                     "license": {"name": "MIT", "url": "https://opensource.org/licenses/MIT"},
                     "provider": {"name": "bench", "url": "http://127.0.0.1"},
                     "contact": {"name": "bench"}},
        "resources": {"reports": {
            "type": "collection", "title": "reports", "description": "reports", "keywords": ["reports"],
            "extents": {"spatial": {"bbox": [108.8, -1.5, 110.0, 0.3],
                                    "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "links": [],
            "providers": [{"type": "feature", "name": "PostgreSQL", "data": {
                "host": db["HOST"] or "127.0.0.1", "port": int(db["PORT"] or 5432), "dbname": db["NAME"],
                "user": db.get("USER") or "postgres", "password": db.get("PASSWORD") or "",
                "search_path": [SCHEMA, "public"]},
                "id_field": "id", "table": "reports", "geom_field": "geom"}]}},
    }))
    openapi = STATE / "pygeoapi-openapi.yml"
    env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    subprocess.run([str(path / "bin/pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
                   check=True, env={**os.environ, **env}, capture_output=True)

    @contextlib.contextmanager
    def run():
        proc_args = [str(path / "bin/gunicorn"), "pygeoapi.flask_app:APP", "-b", f"127.0.0.1:{port}",
                     "-w", str(workers), "--log-level", "warning"]
        log = open(STATE / "pygeoapi.log", "w")
        proc = subprocess.Popen(proc_args, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            deadline = time.time() + 120
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"pygeoapi exited; see {STATE / 'pygeoapi.log'}")
                with contextlib.suppress(OSError, http.client.HTTPException):
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    c.request("GET", "/collections?f=json")
                    if c.getresponse().status < 500:
                        break
                if time.time() > deadline:
                    raise SystemExit("pygeoapi did not start")
                time.sleep(0.5)
            time.sleep(2)
            yield f"http://127.0.0.1:{port}"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
            log.close()
    return run()


def titiler(workers: int):
    path = venv("titiler")
    return server("titiler", [str(path / "bin/uvicorn"), "titiler.application.main:app", "--host", "127.0.0.1",
                              "--port", "{port}", "--workers", str(workers), "--log-level", "warning",
                              "--no-access-log"], {"TITILER_API_DEBUG": "FALSE"}, "/healthz")


# ---------------------------------------------------------------- load

def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _pool_run(jobs: list, clients: int, do, setup=None) -> dict:
    """Every job once, `clients` threads each taking the next job; do(job,
    state) -> (body bytes, status). `setup()` gives each thread its state
    (a connection) and is closed at the end when it has close()."""
    lock = threading.Lock()
    queue = list(reversed(jobs))
    latencies, sizes, statuses = [], [], {}

    def worker():
        state = setup() if setup else None
        try:
            while True:
                with lock:
                    if not queue:
                        break
                    job = queue.pop()
                t0 = time.perf_counter()
                body, status = do(job, state)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed * 1000)
                    sizes.append(len(body))
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            if state is not None and hasattr(state, "close"):
                state.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"rate": len(jobs) / wall, "lat": latencies, "bytes": statistics.fmean(sizes) if sizes else 0,
            "statuses": statuses}


class _Http:
    """A keep-alive connection that reconnects after a failed request."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=120)

    def get(self, path: str, headers: dict) -> tuple[bytes, int]:
        try:
            self.conn.request("GET", path, headers=headers)
            response = self.conn.getresponse()
            return response.read(), response.status
        except (OSError, http.client.HTTPException):
            self.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            return b"", 599

    def close(self):
        self.conn.close()


def http_run(base: str, paths: list[str], clients: int, headers: dict | None = None) -> dict:
    """Every path once over `clients` keep-alive connections."""
    host, port = urlsplit(base).netloc.split(":")
    return _pool_run(paths, clients, lambda path, conn: conn.get(path, headers or {}),
                     setup=lambda: _Http(host, int(port)))


def sql_run(jobs: list[tuple[str, list]], clients: int) -> dict:
    """The reference: each statement alone through psycopg, `clients` connections."""
    import psycopg

    def do(job, conn):
        row = conn.execute(*job).fetchone()
        return row[0] or b"", 200
    return _pool_run(jobs, clients, do, setup=lambda: psycopg.connect(libpq_url(), autocommit=True))


def inprocess_run(calls: list, clients: int) -> dict:
    return _pool_run(calls, clients, lambda call, _state: (call(), 200))


# ---------------------------------------------------------------- work lists

def tile_xy(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def busy_points(n: int, rng: random.Random) -> list[tuple[float, float]]:
    """Report points drawn at random (so the work follows where reports are):
    row sampling, since the copy is stored in spatial order (a page sample
    would draw a few neighbourhoods only)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ST_X(geom), ST_Y(geom) FROM {SCHEMA}.reports TABLESAMPLE BERNOULLI (1) "
                       f"REPEATABLE ({rng.randrange(10**6)}) LIMIT %s", [n])
        return [tuple(r) for r in cursor.fetchall()]


def items_bboxes(n: int, rng: random.Random) -> list[tuple[float, float, float, float]]:
    """bboxes around report points, each holding at least 1,000 public reports."""
    out = []
    for lon, lat in busy_points(n * 3, rng):
        half = 0.02
        with connection.cursor() as cursor:
            while half < 0.5:
                cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {SCHEMA}.reports WHERE geom && "
                               f"ST_MakeEnvelope(%s, %s, %s, %s, 4326) LIMIT 1000) s",
                               [lon - half, lat - half, lon + half, lat + half])
                if cursor.fetchone()[0] >= 1000:
                    break
                half *= 1.5
        out.append(tuple(round(v, 5) for v in (lon - half, lat - half, lon + half, lat + half)))
        if len(out) == n:
            break
    return out


def tile_lists(z: int, rounds: int, per_round: int, rng: random.Random) -> list[list[tuple[int, int, int]]]:
    seen, lists = set(), []
    points = busy_points(rounds * per_round * 20, rng)
    rng.shuffle(points)
    it = iter(points)
    for _ in range(rounds):
        tiles = []
        for lon, lat in it:
            xy = tile_xy(lon, lat, z)
            if xy in seen:
                continue
            seen.add(xy)
            tiles.append((z, *xy))
            if len(tiles) == per_round:
                break
        lists.append(tiles)
    return lists


def mvt_sql(z: int, x: int, y: int) -> tuple[str, list]:
    """The tile of the copied public points, as plain ST_AsMVT (the reference):
    the attributes our point tiles carry (the id, for a click to fetch the item,
    and the tile_fields of the reports layer)."""
    return (f"WITH b AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env), "
            f"m AS (SELECT r.id, ST_AsMVTGeom(ST_Transform(r.geom, 3857), b.env, 4096, 64, true) AS geom, "
            f"r.category_code, r.category_name, r.status, r.supporters_count "
            f"FROM {SCHEMA}.reports r, b WHERE r.geom && ST_Transform(ST_Expand(b.env, "
            f"(ST_XMax(b.env) - ST_XMin(b.env)) * 64 / 4096), 4326)) "
            f"SELECT ST_AsMVT(m.*, 'reports', 4096, 'geom') FROM m", [z, x, y])


def items_sql(bbox) -> tuple[str, list]:
    return (f"SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object("
            f"'type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 7)::json, 'properties', "
            f"to_jsonb(s) - 'geom' - 'id')), '[]'))::text::bytea FROM (SELECT * FROM {SCHEMA}.reports WHERE geom && "
            f"ST_MakeEnvelope(%s, %s, %s, %s, 4326) ORDER BY id LIMIT 1000) s", list(bbox))


# ---------------------------------------------------------------- main

def fmt(name: str, r: dict) -> str:
    bad = {k: v for k, v in r["statuses"].items() if k >= 400}
    return (f"| {name} | {r['rate']:,.1f} | {percentile(r['lat'], 50):.1f} | {percentile(r['lat'], 95):.1f} | "
            f"{percentile(r['lat'], 99):.1f} | {r['bytes'] / 1024:,.1f} |" + (f" errors {bad}" if bad else ""))


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--items", type=int, default=40, help="items requests per server per round")
    parser.add_argument("--tiles", type=int, default=150, help="uncached tiles per zoom per server per round")
    parser.add_argument("--rasters", type=int, default=120, help="uncached PNG tiles per server per round")
    parser.add_argument("--only", default="items,mvt,raster")
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout of the project (e.g. `git worktree add --detach DIR main`): "
                             "served as `ours-before` on the same database, in the same rounds (before/after)")
    args = parser.parse_args()
    STATE.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    rng = random.Random(SEED)

    ensure_reports(args.reports)
    public = copy_public_reports()
    raster_path = ensure_raster()
    paths = {name: venv(name) for name in VENVS}
    versions = {"tipg": pip_version(paths["tipg"], "tipg"), "pygeoapi": pip_version(paths["pygeoapi"], "pygeoapi"),
                "titiler": pip_version(paths["titiler"], "titiler.core")}
    tiles_redis = os.environ.get("PEERS_TILES_REDIS_URL", "redis://127.0.0.1:6379/12")
    print(f"# bench/peers.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; reports {args.reports:,} "
          f"(public {public:,}); {args.workers} workers per server; {args.clients} clients; "
          f"tipg {versions['tipg']}, pygeoapi {versions['pygeoapi']}, TiTiler {versions['titiler']}", flush=True)

    bboxes = items_bboxes(args.items, rng) if "items" in only else []
    z14 = tile_lists(14, args.rounds, args.tiles, rng) if "mvt" in only else []
    z16 = tile_lists(16, args.rounds, args.tiles, rng) if "mvt" in only else []
    raster_tiles = []
    if "raster" in only:
        # The COG covers 109.0-110.2 E, 0.25 N - 0.95 S; z10-z14 tiles inside it.
        for _ in range(args.rounds):
            batch = []
            for i in range(args.rasters):
                z = (10, 12, 13, 14)[i % 4]
                batch.append((z, *tile_xy(rng.uniform(109.05, 110.15), rng.uniform(-0.9, 0.2), z)))
            raster_tiles.append(batch)
    results: dict[tuple[str, str], list[dict]] = {}

    def record(work, name, result):
        results.setdefault((work, name), []).append(result)
        print(fmt(f"{work} / {name}", result), flush=True)

    with contextlib.ExitStack() as stack:
        bases = {"ours": stack.enter_context(ours(args.workers, tiles_redis))}
        if args.before:
            before_schema()
            bases["ours-before"] = stack.enter_context(ours(args.workers, tiles_redis, args.before.resolve(),
                                                            "ours-before", f"{BEFORE_SCHEMA},public"))
        us = [n for n in ("ours", "ours-before") if n in bases]
        if only & {"items", "mvt"}:
            bases["tipg"] = stack.enter_context(tipg(args.workers, capped=True))
        if "mvt" in only:
            bases["tipg-uncapped"] = stack.enter_context(tipg(args.workers, capped=False))
        if "items" in only:
            bases["pygeoapi"] = stack.enter_context(pygeoapi(args.workers))
        if "raster" in only:
            bases["titiler"] = stack.enter_context(titiler(args.workers))
        bbox_q = [",".join(map(str, b)) for b in bboxes]
        items_paths = {
            **{n: [f"/ogc/collections/reports/items?f=json&limit=1000&bbox={b}" for b in bbox_q] for n in us},
            "tipg": [f"/collections/{SCHEMA}.reports/items?f=geojson&limit=1000&bbox={b}" for b in bbox_q],
            "pygeoapi": [f"/collections/reports/items?f=json&limit=1000&bbox={b}" for b in bbox_q],
        }
        # Warm each server once (imports, catalogues, connections) outside the timed rounds.
        for name, plist in items_paths.items():
            if name in bases and plist:
                http_run(bases[name], plist[:4], 1)
        print("\n| work / server | req/s | p50 ms | p95 ms | p99 ms | KiB/answer |\n|---|---|---|---|---|---|",
              flush=True)
        for rnd in range(args.rounds):
            order = lambda names: names[rnd % len(names):] + names[:rnd % len(names)]  # noqa: E731
            if "items" in only:
                for name in order([*us, "tipg", "pygeoapi", "raw SQL"]):
                    if name == "raw SQL":
                        record("items 1,000 + bbox", name, sql_run([items_sql(b) for b in bboxes], args.clients))
                    else:
                        record("items 1,000 + bbox", name, http_run(bases[name], items_paths[name], args.clients,
                                                                    {"Accept-Encoding": "identity"}))
                # The single-client latency target (p99 <= 150 ms for a page of 1,000).
                for name in us:
                    record("items 1,000 + bbox, 1 client", name,
                           http_run(bases[name], items_paths[name], 1, {"Accept-Encoding": "identity"}))
            if "mvt" in only:
                for z, lists in ((14, z14), (16, z16)):
                    tiles = lists[rnd]
                    for name in order([*us, "tipg", "tipg-uncapped", "raw SQL"]):
                        if name == "raw SQL":
                            result = sql_run([mvt_sql(*t) for t in tiles], args.clients)
                        else:
                            if name in us:
                                flush_redis(tiles_redis)
                                plist = [f"/tiles/reports/{z}/{x}/{y}.mvt" for z, x, y in tiles]
                            else:
                                plist = [f"/collections/{SCHEMA}.reports/tiles/WebMercatorQuad/{z}/{x}/{y}"
                                         for z, x, y in tiles]
                            result = http_run(bases[name], plist, args.clients, {"Accept-Encoding": "identity"})
                        record(f"MVT z{z} uncached", name, result)
                # Cached tiles (no nginx): the z14 list of this round, kept by
                # a first pass, then asked again (gzip, as browsers ask).
                for name in order(us):
                    flush_redis(tiles_redis)
                    plist = [f"/tiles/reports/{z}/{x}/{y}.mvt" for z, x, y in z14[rnd]]
                    http_run(bases[name], plist, args.clients, {"Accept-Encoding": "gzip"})
                    time.sleep(1)  # the write-behind of the last misses
                    record("MVT z14 cached (gunicorn, no nginx)", name,
                           http_run(bases[name], plist * 3, args.clients, {"Accept-Encoding": "gzip"}))
            if "raster" in only:
                tiles = raster_tiles[rnd]
                query = "rescale=0,50&colormap_name=viridis"
                for name in order([*us, "titiler", "rio-tiler in-process"]):
                    if name == "rio-tiler in-process":
                        result = inprocess_run([lambda t=t: rio_png(raster_path, *t) for t in tiles], args.clients)
                    elif name in us:
                        flush_redis(tiles_redis)
                        result = http_run(bases[name], [f"/tiles/raster/{RASTER}/{z}/{x}/{y}.png?{query}"
                                                        for z, x, y in tiles], args.clients)
                    else:
                        result = http_run(bases[name], [f"/cog/tiles/WebMercatorQuad/{z}/{x}/{y}.png?url={raster_path}"
                                                        f"&{query}" for z, x, y in tiles], args.clients)
                    record("raster PNG uncached", name, result)
        # The HTTP stack's own cost, same run: /healthz-like answers from ours.
        for name in us:
            record("HTTP floor (/healthz)", name, http_run(bases[name], ["/healthz"] * 400, args.clients))

    print("\n## Summary (range over rounds; ratio = ours / other, median of per-round ratios)\n")
    works = []
    for work, _ in results:
        if work not in works:
            works.append(work)
    for work in works:
        names = [n for (w, n) in results if w == work]
        cells = []
        for name in names:
            rates = [r["rate"] for r in results[(work, name)]]
            p99 = [percentile(r["lat"], 99) for r in results[(work, name)]]
            cells.append(f"{name} {min(rates):,.1f}-{max(rates):,.1f}/s (p99 {min(p99):.0f}-{max(p99):.0f} ms)")
        print(f"- {work}: " + "; ".join(cells))
        if ("ours" in names) and len(names) > 1:
            ours_rates = [r["rate"] for r in results[(work, "ours")]]
            ratios = []
            for name in names:
                if name == "ours":
                    continue
                other = [r["rate"] for r in results[(work, name)]]
                ratio = statistics.median(a / b for a, b in zip(ours_rates, other))
                ratios.append(f"ours/{name} {ratio:.2f}")
            print("  " + ", ".join(ratios))


def rio_png(path: Path, z: int, x: int, y: int) -> bytes:
    from rio_tiler.colormap import cmap
    from rio_tiler.io import Reader

    with Reader(str(path)) as reader:
        image = reader.tile(x, y, z, tilesize=256, indexes=1)
    return image.rescale(in_range=((0, 50),)).render(img_format="PNG", colormap=cmap.get("viridis"))


if __name__ == "__main__":
    main()
