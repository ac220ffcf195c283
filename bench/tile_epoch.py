"""What the cache-epoch check costs a cached tile (issue 17).

Every cache hit folds in the cache epoch kept in PostgreSQL (tiles.cache):
read at every hit (TILES_CACHE_EPOCH_REUSE_SECONDS=0), reused by the process
for 1 s (the default), or, to see what no check at all would cost, reused for
an hour. The same 40 cached vector tiles (desa layer, z12, over Kubu Raya),
from a private redis-server, in rounds that alternate the three modes (the
machine is shared: alternating spreads its load over all three):

1. in-process, one thread: the WSGI application (tiles.fastpath answers a hit
   before Django), µs per cached tile;
2. over HTTP: gunicorn with deploy/gunicorn.conf.py (2 workers x 4 threads)
   and wrk (2 threads, 8 connections), tiles/s and latency percentiles.

    .venv/bin/python bench/tile_epoch.py [--rounds 3] [--seconds 5]
"""
import argparse
import io
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, free_port, machine

sys.path.insert(0, str(ROOT))
from tests.ops.redisserver import PrivateRedis  # noqa: E402

MODES = {"every hit (0)": "0", "reused 1 s (default)": "1", "no check (3600)": "3600"}
KUBU_RAYA = (108.9, -1.2, 109.9, 0.4)  # lon/lat box of the regency


def tiles_z12() -> list[str]:
    import math

    def xy(lon, lat, z=12):
        n = 2 ** z
        return (int((lon + 180) / 360 * n),
                int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n))

    x0, y0 = xy(KUBU_RAYA[0], KUBU_RAYA[3])
    x1, y1 = xy(KUBU_RAYA[2], KUBU_RAYA[1])
    return [f"/tiles/desa/12/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def in_process(paths: list[str], seconds: float) -> dict[str, float]:
    """µs per cached tile through the WSGI application, per mode (one thread)."""
    from django.conf import settings

    from config.wsgi import application

    def get(path):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "HTTP_ACCEPT_ENCODING": "gzip",
                   "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "REMOTE_ADDR": "127.0.0.1"}
        seen = {}

        def start_response(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, dict(headers)

        result = application(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()  # as a WSGI server does: keeps a built tile
        return seen["status"], seen["headers"], body

    ok = [p for p in paths if get(p)[0].startswith("200")]  # built and kept (empty tiles answer 204)
    for p in ok:
        assert get(p)[1].get("X-Tile-Cache") == "hit", p
    out = {}
    from tiles.cache import cache_epoch

    # One request at a time, alternating: with the check at every hit (0),
    # and without (the epoch reused): a loaded machine slows both alike, and
    # the median of each drops the requests a busy CPU stalled.
    times = {"query": [], "every hit (0)": [], "no check (3600)": []}
    modes = [("every hit (0)", 0.0), ("no check (3600)", 3600.0)]
    deadline = time.perf_counter() + seconds * 2
    n = 0
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        cache_epoch(reuse_seconds=0)
        times["query"].append(time.perf_counter() - t0)
        for label, reuse in modes:
            settings.TILES_CACHE_EPOCH_REUSE_SECONDS = reuse
            t0 = time.perf_counter()
            get(ok[n % len(ok)])
            times[label].append(time.perf_counter() - t0)
        n += 1
    for label, values in times.items():
        out[label] = statistics.median(values) * 1e6
    # Reused for 1 s, a process reads the epoch at most once a second: the
    # query's cost spread over the tiles it serves in that second.
    hits_per_second = 1e6 / out["no check (3600)"]
    out["reused 1 s (default)"] = out["no check (3600)"] + out["query"] / max(1.0, hits_per_second)
    return out


def wrk_http(paths: list[str], seconds: float, redis_url: str, tmp: Path) -> dict[str, tuple[float, str, str]]:
    wrk = shutil.which("wrk")
    script = tmp / "paths.lua"
    script.write_text("paths = {" + ",".join(f'"{p}"' for p in paths) + "}\ni = 0\n"
                      "request = function()\n  i = i + 1\n"
                      "  return wrk.format('GET', paths[(i % #paths) + 1], {['Accept-Encoding'] = 'gzip'})\nend\n")
    out = {}
    for label, reuse in MODES.items():
        port = free_port()
        (tmp / "metrics").mkdir(exist_ok=True)
        env = {**os.environ, "TILES_CACHE_EPOCH_REUSE_SECONDS": reuse, "GUNICORN_BIND": f"127.0.0.1:{port}",
               "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4", "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
               "LOG_LEVEL": "ERROR", "GUNICORN_LOGLEVEL": "error", "THROTTLE_ANON": "10000000/min"}
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            import requests

            deadline = time.monotonic() + 120
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline and proc.poll() is None, "gunicorn did not start"
                    time.sleep(0.2)
            for p in paths * 2:  # every worker's connections made, the epoch read once
                requests.get(f"http://127.0.0.1:{port}{p}", timeout=30)
            text = subprocess.run([wrk, "-t2", "-c8", f"-d{max(int(seconds), 2)}s", "--latency", "-s", str(script),
                                   f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
            rate = float(next(line.split()[1] for line in text.splitlines() if line.startswith("Requests/sec")))
            pct = {line.split()[0]: line.split()[1] for line in text.splitlines()
                   if line.strip().startswith(("50%", "99%"))}
            assert "Non-2xx" not in text, text
            out[label] = (rate, pct.get("50%", "?"), pct.get("99%", "?"))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-http", dest="http", action="store_false", help="in-process figures only")
    opts = parser.parse_args()
    server = PrivateRedis().start()
    tmp = Path(tempfile.mkdtemp(prefix="kr-epoch-"))
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings.test", TILES_REDIS_URL=server.url, REDIS_URL="",
                      CELERY_BROKER_URL="", TILES_EDGE_DIR="", TILES_CACHE_PREFIX="bench-epoch:",
                      LOG_LEVEL="ERROR")
    try:
        import django

        django.setup()
        paths = tiles_z12()
        proc_rows, http_rows = [], []
        for r in range(opts.rounds):
            before = os.getloadavg()[0]
            proc_rows.append(in_process(paths, opts.seconds))
            http_rows.append(wrk_http(paths, opts.seconds, server.url, tmp) if opts.http else
                             {label: (float("nan"), "-", "-") for label in MODES})
            print(f"round {r + 1}: load {before:.1f} -> {os.getloadavg()[0]:.1f}; in-process "
                  + ", ".join(f"{k} {v:.0f} µs" for k, v in proc_rows[-1].items()) + "; http "
                  + ", ".join(f"{k} {v[0]:,.0f}/s p50 {v[1]} p99 {v[2]}" for k, v in http_rows[-1].items()),
                  flush=True)
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\ntile_epoch.py: {len(paths)} desa z12 tiles, {opts.rounds} rounds of {opts.seconds:g} s per mode; "
          f"{machine()}; load average at the end {os.getloadavg()[0]:.1f}")
    print(f"The epoch query alone (SELECT last_value FROM tiles_cache_epoch through Django's connection): "
          f"median {statistics.median(r['query'] for r in proc_rows):,.0f} µs.")
    print("| epoch check | in-process µs per cached tile (median of rounds; 1 s: the query spread over a second of hits) | HTTP tiles/s, wrk -c8 (median) | "
          "p50 | p99 |")
    print("| --- | --- | --- | --- | --- |")
    for label in MODES:
        us = statistics.median(r[label] for r in proc_rows)
        rates = [r[label] for r in http_rows]
        mid = sorted(rates, key=lambda v: v[0])[len(rates) // 2]
        print(f"| {label} | {us:,.0f} | {mid[0]:,.0f} | {mid[1]} | {mid[2]} |")


if __name__ == "__main__":
    main()
