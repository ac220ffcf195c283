"""Tiles benchmark (issue 6).

    .venv/bin/python bench/tiles.py [--reports 1000000] [--seconds 5]

1. 1,000,000 synthetic reports clustered around the 117 desa of Kubu Raya,
   loaded in a private schema `bench_tiles` (tables named like production:
   reports_report, reports_category, tiles_reportcell, with the production
   triggers), so the exact production SQL runs against them with
   search_path = bench_tiles, public. Nothing in the public schema changes.
2. Uncached tiles at z8, z10, z12, z14, z16 through the view (Django, cache
   entry dropped before each request), p50/p95 and bytes, next to the same
   SQL statement executed alone in the same run (ratio target <= 1.3).
3. Cached tiles and 304s over HTTP: gunicorn on loopback, several concurrent
   keep-alive / new-connection clients (target >= 2,000 tiles/s).
4. A raster tile through the view next to rio-tiler reading the same tile
   directly (ratio target <= 1.2), on a 4000x4000 COG made here.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the tiles app: take bench/ off the path so that
# `import tiles` finds the app.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("TILES_REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["TILES_CACHE_PREFIX"] = "bench:tiles:"
os.environ.setdefault("LOG_LEVEL", "WARNING")   # no access log line per request

import django  # noqa: E402
from django.conf import settings  # noqa: E402

SCHEMA = "bench_tiles"
# Every connection of this process reads the bench schema first.
settings.DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c search_path={SCHEMA},public"
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from tiles import aggregates, cache, sources, vector  # noqa: E402

ZOOMS = (8, 9, 10, 11, 12, 14, 16)
CATEGORIES = [(1, "jalan-rusak", "P0"), (2, "lampu-jalan", "P0"), (3, "sampah", "P0"), (4, "banjir", "P0"),
              (5, "drainase", "P0"), (6, "pohon-tumbang", "P0"), (7, "warga-sakit", "P1"),
              (8, "gizi-buruk", "P1"), (9, "pungli", "P2"), (10, "kekerasan", "P3")]


def q(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else None


def setup_schema(n_reports: int) -> None:
    exists = q("SELECT to_regclass(%s)", [f"{SCHEMA}.reports_report"])[0][0]
    if exists and q(f"SELECT count(*) FROM {SCHEMA}.reports_report")[0][0] == n_reports:
        print(f"[bench] reusing {n_reports:,} reports in schema {SCHEMA}")
        return
    t0 = time.perf_counter()
    q(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    q(f"CREATE SCHEMA {SCHEMA}")
    q("CREATE TABLE reports_category (id int PRIMARY KEY, code text, publication_class text)")
    q("INSERT INTO reports_category VALUES " + ",".join(f"({i}, '{c}', '{p}')" for i, c, p in CATEGORIES))
    q("""CREATE TABLE reports_report (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), category_id int NOT NULL,
         status varchar(20) NOT NULL, confidential boolean NOT NULL, location geometry(Point, 4326) NOT NULL,
         created_at timestamptz NOT NULL)""")
    q("CREATE TABLE tiles_reportcell (LIKE public.tiles_reportcell INCLUDING ALL)")
    q(aggregates.TRIGGER_SQL)
    # Clustered: each report near one desa's interior point (sd ~2 km),
    # desa weighted unevenly; 10 categories, 5 statuses, one year.
    q(f"""
    WITH c AS (SELECT array_agg(ST_X(ST_PointOnSurface(b.geom))) AS xs, array_agg(ST_Y(ST_PointOnSurface(b.geom))) AS ys
                 FROM public.geo_areaboundary b JOIN public.geo_area a ON a.id = b.area_id
                 JOIN public.geo_edition e ON e.id = a.edition_id AND e.is_current WHERE a.level = 'desa')
    INSERT INTO reports_report (category_id, status, confidential, location, created_at)
    SELECT 1 + floor(power(random(), 1.5) * 10)::int,
           (ARRAY['received','verified','in_progress','resolved','rejected'])[1 + floor(random() * 5)::int],
           random() < 0.05,
           ST_SetSRID(ST_MakePoint(c.xs[r.i] + 0.018 * sqrt(-2 * ln(r.u1)) * cos(2 * pi() * r.u2),
                                   c.ys[r.i] + 0.018 * sqrt(-2 * ln(r.u1)) * sin(2 * pi() * r.u2)), 4326),
           now() - random() * interval '365 days'
      FROM c, generate_series(1, %s) AS g,
           LATERAL (SELECT 1 + floor(power(random(), 2) * array_length(c.xs, 1))::int AS i,
                           1 - random() AS u1, random() AS u2 WHERE g > 0) AS r
    """, [n_reports])
    q("CREATE INDEX ON reports_report USING gist (location)")
    q("ANALYZE reports_report; ANALYZE tiles_reportcell")
    cells = q("SELECT count(*) FROM tiles_reportcell")[0][0]
    print(f"[bench] loaded {n_reports:,} reports (cells kept by the trigger: {cells:,} rows) "
          f"in {time.perf_counter() - t0:.0f} s")


class BenchReportsLayer:
    """The reports layer as the registry will give it: public points only
    (P0, not rejected/merged), id + category + status."""
    id = "reports"
    title = "Laporan (bench)"
    description = ""
    geometry_type = "Point"
    field_types = {"category": "string", "status": "string"}
    fields = ["category", "status"]
    id_type = "string"
    datetime_field = None
    licence = "CC BY 4.0"

    def table_sql(self, filters=None):
        sql = ("SELECT r.id, r.location AS geom, c.code AS category, r.status AS status"
               " FROM reports_report r JOIN reports_category c ON c.id = r.category_id"
               " WHERE c.publication_class = 'P0' AND r.status <> ALL(ARRAY['rejected', 'merged'])")
        params = []
        for key, value in ((filters or {}).get("properties") or {}).items():
            sql += f" AND {'c.code' if key == 'category' else 'r.status'} = %s"
            params.append(value)
        return sql, params


def pick_tiles(z: int, n: int) -> list[tuple[int, int]]:
    """Tiles holding reports at zoom z: the tile of random reports (so dense
    places are picked more often), plus the densest tile."""
    rows = q("SELECT ST_X(location), ST_Y(location) FROM reports_report TABLESAMPLE SYSTEM (1) LIMIT %s", [n * 5])
    random.seed(z)
    picked = []
    for lon, lat in random.sample(rows, min(len(rows), n * 5)):
        tile = tuple(cache.tiles_at_point(lon, lat, max_zoom=z, buffer_px=0)[-1][1:])
        if tile not in picked:
            picked.append(tile)
        if len(picked) == n:
            break
    return picked


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def wsgi_get(path: str, **headers) -> tuple[int, dict, bytes]:
    """A request through the project's WSGI application (Django, middleware
    included), without the test client's own overhead."""
    from wsgiref.util import setup_testing_defaults

    from config.wsgi import application

    environ = {"PATH_INFO": path.split("?")[0], "QUERY_STRING": path.partition("?")[2], "REQUEST_METHOD": "GET",
               "SERVER_NAME": "127.0.0.1", "HTTP_HOST": "127.0.0.1", **headers}
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, response_headers):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(response_headers)

    iterable = application(environ, start_response)
    body = b"".join(iterable)
    # As a WSGI server does once the body is sent (the tile cache write-behind
    # runs here); its time is in seen["close_ms"], outside the client's latency.
    t0 = time.perf_counter()
    if hasattr(iterable, "close"):
        iterable.close()
    wsgi_get.close_ms = (time.perf_counter() - t0) * 1000
    return seen["status"], seen["headers"], body


def bench_uncached(client: Client, layer, n_tiles: int) -> list[str]:
    # Two references: the statement sent alone as plain SQL (planned on each
    # execution: the ratio of the issue), and the same statement prepared, as
    # the view now runs it (common.db), so the view's own overhead shows.
    lines = ["| zoom | tiles | source | view p50 / p95 ms | SQL alone p50 / p95 ms | ratio p50 "
             "| SQL alone prepared p50 ms | ratio to prepared p50 | bytes p50 (max) "
             "| cache write after the response p50 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    from common.db import prepared_cursor
    store = cache.store()
    for z in ZOOMS:
        tiles = pick_tiles(z, n_tiles)
        view_ms, sql_ms, prep_ms, sizes, close_ms = [], [], [], [], []
        for x, y in tiles:
            t = vector.TileRequest(z, x, y)
            sql, params = vector.tile_sql([(layer, None)], t)
            for _ in range(2):  # warm both paths alike (buffers, imports)
                q(sql, params)
                with prepared_cursor() as cursor:
                    cursor.execute(sql, params)
                store.delete_many([cache.tile_key("reports", z, x, y)])
                wsgi_get(f"/tiles/reports/{z}/{x}/{y}.mvt")
            for _ in range(3):
                store.delete_many([cache.tile_key("reports", z, x, y)])
                t0 = time.perf_counter()
                status, headers, _ = wsgi_get(f"/tiles/reports/{z}/{x}/{y}.mvt")
                view_ms.append((time.perf_counter() - t0) * 1000 - wsgi_get.close_ms)
                close_ms.append(wsgi_get.close_ms)
                assert status in (200, 204) and headers["X-Tile-Cache"] == "miss", (status, headers)
                t0 = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    body = cursor.fetchone()[0]
                sql_ms.append((time.perf_counter() - t0) * 1000)
                sizes.append(len(body or b""))
                t0 = time.perf_counter()
                with prepared_cursor() as cursor:
                    cursor.execute(sql, params)
                    cursor.fetchone()
                prep_ms.append((time.perf_counter() - t0) * 1000)
        source = "precomputed cells" if aggregates.cells_sql(layer, vector.TileRequest(z, 0, 0), None) and \
            z <= aggregates.CELL_MAX_ZOOM and z < settings.TILES_POINTS_MIN_ZOOM else "points"
        ratio = statistics.median(view_ms) / statistics.median(sql_ms)
        lines.append(f"| {z} | {len(tiles)} | {source} | {pct(view_ms, 50):.1f} / {pct(view_ms, 95):.1f} | "
                     f"{pct(sql_ms, 50):.1f} / {pct(sql_ms, 95):.1f} | {ratio:.2f} | {pct(prep_ms, 50):.1f} | "
                     f"{statistics.median(view_ms) / statistics.median(prep_ms):.2f} | "
                     f"{int(statistics.median(sizes)):,} ({max(sizes):,}) | {statistics.median(close_ms):.1f} |")
        print(lines[-1], flush=True)
    return lines


def whole_regency_tile_ms(client: Client) -> str:
    # z8 tiles covering the regency; the largest (most reports) is reported.
    out = []
    for x, y in [(205, 127), (205, 128), (206, 127), (206, 128)]:
        times = []
        for _ in range(5):
            cache.store().delete_many([cache.tile_key("reports", 8, x, y)])
            t0 = time.perf_counter()
            wsgi_get(f"/tiles/reports/8/{x}/{y}.mvt")
            times.append((time.perf_counter() - t0) * 1000 - wsgi_get.close_ms)
        n = q("SELECT count(*) FROM reports_report WHERE location && ST_Transform(ST_TileEnvelope(8, %s, %s), 4326)",
              [x, y])[0][0]
        out.append((n, x, y, statistics.median(times), max(times)))
    n, x, y, p50, worst = max(out)
    return f"whole-regency tile z8/{x}/{y} ({n:,} reports under it): p50 {p50:.1f} ms, max {worst:.1f} ms"


def start_gunicorn(port: int, workers: int, worker_class: str) -> subprocess.Popen:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test")
    args = [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "--workers", str(workers),
            "--log-level", "warning", "--worker-class", worker_class]
    if worker_class == "gthread":
        args += ["--threads", "4"]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    import urllib.request

    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10).read()
            break
        except OSError:
            time.sleep(0.2)
    time.sleep(2)   # every worker up
    return proc


def bench_http(client: Client, seconds: float) -> list[str]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "_http.py")
    http = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(http)
    load = http.load

    # Warm a realistic viewport's worth of z14 tiles into the cache (Redis),
    # and into the edge mirror nginx serves (deploy/nginx/kubu-raya-tiles.conf).
    edge_dir = tempfile.mkdtemp(prefix="kr-bench-edge-")
    os.chmod(edge_dir, 0o755)
    settings.TILES_EDGE_DIR = edge_dir
    cache.tiles_purge()   # every tile below is built now, so it lands in the edge too
    tiles = pick_tiles(14, 40)
    paths = [f"/tiles/reports/14/{x}/{y}.mvt" for x, y in tiles]
    etags = {}
    for path in paths:
        etags[path] = client.get(path)["ETag"]
    # The server-side ceiling: the WSGI application called in-process, one thread.
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        wsgi_get(paths[n % len(paths)], HTTP_ACCEPT_ENCODING="gzip")
        n += 1
    in_process = n / (time.perf_counter() - t0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        wsgi_get(paths[0], HTTP_IF_NONE_MATCH=etags[paths[0]])
        n += 1
    in_process_304 = n / (time.perf_counter() - t0)
    lines = ["| workers | clients | connection | cached tiles/s | 304/s |", "|---|---|---|---|---|",
             f"| in-process WSGI application (tile view), 1 thread | 1 | none | {in_process:,.0f} | {in_process_304:,.0f} |"]
    print(lines[-1], flush=True)
    for worker_class, keepalive in (("sync", False), ("gthread", True)):
        proc = start_gunicorn(8767, 2, worker_class)
        try:
            for clients in (4, 8):
                rate, statuses = load("127.0.0.1", 8767, paths, clients=clients, seconds=seconds,
                                      headers={"Accept-Encoding": "gzip"}, keepalive=keepalive)
                assert set(statuses) <= {200, 204}, statuses
                etag = etags[paths[0]]
                rate304, statuses304 = load("127.0.0.1", 8767, [paths[0]], clients=clients, seconds=seconds,
                                            headers={"If-None-Match": etag}, keepalive=keepalive)
                assert set(statuses304) == {304}, statuses304
                lines.append(f"| 2 {worker_class} | {clients} | {'keep-alive' if keepalive else 'new per request'}"
                             f" | {rate:,.0f} | {rate304:,.0f} |")
                print(lines[-1], flush=True)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    lines += wrk_rows(paths, seconds)
    return lines


def wrk_rows(paths: list[str], seconds: float) -> list[str]:
    """Cached tiles with wrk (a C client, 2 threads): gunicorn (the Django
    tile view) alone, then nginx serving the edge files in front of it."""
    import shutil as sh

    wrk = sh.which("wrk")
    nginx_bin = sh.which("nginx") or "/usr/sbin/nginx"
    if not wrk or not os.path.exists(nginx_bin):
        return ["(wrk or nginx missing: `make edge-deps`; nginx edge rows skipped)"]
    sys.path.insert(0, str(ROOT))
    from tests.ops.servers import nginx

    script = Path(tempfile.mkdtemp()) / "paths.lua"
    script.write_text("paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
                      "i = 0\n"
                      "request = function()\n  i = i + 1\n"
                      "  return wrk.format('GET', paths[(i % #paths) + 1], {['Accept-Encoding'] = 'gzip'})\nend\n")

    def run(base: str, connections: int, extra: list[str]) -> tuple[float, str]:
        out = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{max(int(seconds), 2)}s", "--latency", *extra, base],
                             capture_output=True, text=True, check=True).stdout
        rate = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
        p99 = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("99%")), "?")
        non2xx = next((line for line in out.splitlines() if "Non-2xx" in line), "")
        return rate, p99 + (f" ({non2xx.strip()})" if non2xx else "")

    def headers_of(url: str) -> dict:
        import urllib.request

        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(response.headers)

    rows = ["", "| server | wrk connections | cached tiles/s (p99) | 304/s (p99) |", "|---|---|---|---|"]
    proc = start_gunicorn(8768, 2, "gthread")
    try:
        etag = headers_of(f"http://127.0.0.1:8768{paths[0]}")["ETag"]
        for c in (8, 32):
            rate, p99 = run("http://127.0.0.1:8768", c, ["-s", str(script)])
            rate304, p99_304 = run(f"http://127.0.0.1:8768{paths[0]}", c, ["-H", f"If-None-Match: {etag}"])
            rows.append(f"| gunicorn 2 gthread x4, Django tile view | {c} | {rate:,.0f} ({p99}) | {rate304:,.0f} ({p99_304}) |")
            print(rows[-1], flush=True)
        with nginx(upstream="http://127.0.0.1:8768",
                   tiles_snippet=(ROOT / "deploy/nginx/kubu-raya-tiles.conf").read_text(), edge_dir=settings.TILES_EDGE_DIR, workers="auto") as base:
            served = headers_of(f"{base}{paths[0]}")
            assert served.get("X-Tile-Cache") == "edge", served
            etag = served["ETag"]
            for c in (8, 32, 128):
                rate, p99 = run(base, c, ["-s", str(script)])
                rate304, p99_304 = run(f"{base}{paths[0]}", c, ["-H", f"If-None-Match: {etag}", "-H", "Accept-Encoding: gzip"])
                rows.append(f"| nginx ({os.cpu_count()} workers) edge files, gunicorn behind | {c} | {rate:,.0f} ({p99}) | "
                            f"{rate304:,.0f} ({p99_304}) |")
                print(rows[-1], flush=True)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    return rows


def bench_raster(client: Client) -> list[str]:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rio_tiler.io import Reader

    from tiles.raster import raster_register

    tmp = Path(tempfile.mkdtemp())
    settings.TILES_RASTER_DIR = tmp / "rasters"
    # 4000x4000 float32 "elevation" over the regency (~30 m pixels).
    yy, xx = np.mgrid[0:4000, 0:4000].astype("float32")
    data = (np.sin(xx / 300) * np.cos(yy / 200) * 20 + 25).astype("float32")
    data[:200, :200] = -9999
    src = tmp / "elev.tif"
    with rasterio.open(src, "w", driver="GTiff", width=4000, height=4000, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(109.0, 0.25, 0.0003, 0.0003), nodata=-9999) as dst:
        dst.write(data, 1)
    raster = raster_register(name="bench-elev", source_path=src, unit="m")
    tiles = [(z, *cache.tiles_at_point(109.45, -0.25, max_zoom=z, buffer_px=0)[-1][1:]) for z in (10, 12, 14)]
    view_ms, direct_ms = [], []
    for _ in range(5):
        for z, x, y in tiles:
            cache.store().delete_many([cache.tile_key("@bench-elev", z, x, y)])
            t0 = time.perf_counter()
            status, _, _ = wsgi_get(f"/tiles/raster/bench-elev/{z}/{x}/{y}.png?rescale=0,50&colormap_name=viridis")
            view_ms.append((time.perf_counter() - t0) * 1000)
            assert status == 200
            t0 = time.perf_counter()
            with Reader(raster.path) as reader:
                image = reader.tile(x, y, z, tilesize=256, indexes=1)
            from rio_tiler.colormap import cmap
            image.rescale(in_range=((0, 50),)).render(img_format="PNG", colormap=cmap.get("viridis"))
            direct_ms.append((time.perf_counter() - t0) * 1000)
    ratio = statistics.median(view_ms) / statistics.median(direct_ms)
    line = (f"raster PNG tile (z10/z12/z14 of a 4000x4000 COG, rescale + viridis): view p50 "
            f"{statistics.median(view_ms):.1f} ms / p95 {pct(view_ms, 95):.1f} ms; rio-tiler direct p50 "
            f"{statistics.median(direct_ms):.1f} ms / p95 {pct(direct_ms, 95):.1f} ms; ratio {ratio:.2f}")
    print(line, flush=True)
    return [line]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--tiles", type=int, default=12, help="tiles per zoom")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    setup_schema(args.reports)
    layer = BenchReportsLayer()
    # The bench's reports layer stands in for the registry's (bench only).
    real_layer_get = sources.layer_get
    sources.layer_get = lambda layer_id: layer if layer_id == "reports" else real_layer_get(layer_id)
    cache.tiles_purge()
    client = Client()
    print(f"[bench] {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    out = bench_uncached(client, layer, args.tiles)
    out += ["", whole_regency_tile_ms(client)]
    print(out[-1])
    out += [""] + bench_http(client, args.seconds)
    out += [""] + bench_raster(client)
    cache.tiles_purge()
    print("\n".join(out))


if __name__ == "__main__":
    main()
