"""Load test: a realistic mix against gunicorn on loopback, stepped concurrency.

    .venv/bin/python bench/load.py            # LOAD_REPORTS=1000000 LOAD_STEP_SECONDS=20

Setup: tops the database up to LOAD_REPORTS synthetic reports (the reports
app's own generator), starts gunicorn with deploy/gunicorn.conf.py (throttles
raised: this measures capacity, not the rate limits), then runs closed-loop
clients (one keep-alive connection each) at 2, 4, 8, 16, 32 concurrent users
for LOAD_STEP_SECONDS each. Mix (weights): map tiles 45, area lookup 10, OGC
items 15, nearby (field crew) 10, dashboard 5, public report counts 5,
report submissions 10. Prints req/s and p50/p99 per endpoint at every step and
the highest step where every endpoint's p99 stays under 500 ms with no error.
The reference is the same mix at one user (latency floor, measured in the run).
Client and server share the 2 cores, so the figures are a floor for a
dedicated server.
"""
import http.client
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()
from django.core.management import call_command, get_commands  # noqa: E402
from django.db import connection  # noqa: E402

TARGET_REPORTS = int(os.environ.get("LOAD_REPORTS", 1_000_000))
STEP_SECONDS = float(os.environ.get("LOAD_STEP_SECONDS", 20))
STEPS = [int(s) for s in os.environ.get("LOAD_STEPS", "1,2,4,8,16,32").split(",")]
P99_LIMIT_MS = 500
SEED = 20261127


def tile_xy(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def prepare():
    if "reports_generate_synthetic" in get_commands():
        from reports.models import Report
        if Report.objects.count() < TARGET_REPORTS:
            print(f"[load] topping up to {TARGET_REPORTS:,} synthetic reports ...", flush=True)
            t = time.perf_counter()
            call_command("reports_generate_synthetic", "--target", str(TARGET_REPORTS))
            print(f"[load] generated in {time.perf_counter() - t:.0f} s", flush=True)
    # The dashboard's figures are computed ahead (Celery beat in production):
    # compute them once now, as beat would have; a read finding them stale
    # during the run refreshes them in the background.
    from portal import services as portal_services

    t = time.perf_counter()
    portal_services.dashboard_snapshot_refresh(wait=True)
    print(f"[load] dashboard figures computed in {time.perf_counter() - t:.0f} s", flush=True)
    with connection.cursor() as cur:
        # points inside desa polygons (point on surface), for lookups, submissions, nearby, tiles
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(b.geom) p FROM geo_areaboundary b "
                    "JOIN geo_area a ON a.id = b.area_id WHERE a.level = 'desa') s")
        points = cur.fetchall()
    token = subprocess.run([sys.executable, "manage.py", "ops_fuzz_user"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.strip()
    connection.close()
    return points, token


def start_server():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DEBUG": "false", "LOG_LEVEL": "WARNING", "ACCESS_LOG_LEVEL": "WARNING",
           "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "3"),
           "GUNICORN_THREADS": os.environ.get("GUNICORN_THREADS", "2"),
           "PROMETHEUS_MULTIPROC_DIR": str(ROOT / ".state" / "load-prometheus")}
    for scope in ("ANON", "USER", "REPORT_SUBMIT", "LOGIN"):
        env[f"THROTTLE_{scope}"] = "10000000/min"
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "-b",
                             f"127.0.0.1:{port}", "config.wsgi"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


class Mix:
    def __init__(self, port, points, token):
        self.port, self.points, self.token = port, points, token
        self.categories = self._categories()
        self.endpoints = self._available()

    def _get(self, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()

    def _categories(self):
        status, body = self._get("/api/v1/categories/")
        if status != 200:
            return []
        data = json.loads(body)
        rows = data["results"] if isinstance(data, dict) and "results" in data else data
        return [c["code"] for c in rows if not c.get("photo_required")]

    def request(self, name, rng):
        lon, lat = rng.choice(self.points)
        lon += rng.uniform(-0.002, 0.002)
        lat += rng.uniform(-0.002, 0.002)
        auth = {"Authorization": f"Token {self.token}"}
        if name == "tiles":
            z = rng.choice([10, 11, 12, 13, 14, 15])
            x, y = tile_xy(lon, lat, z)
            layer = rng.choice(["reports", "desa", "report-counts"])
            return "GET", f"/tiles/{layer}/{z}/{x}/{y}.mvt", None, {}
        if name == "lookup":
            return "GET", f"/api/v1/areas/covering?lon={lon:.6f}&lat={lat:.6f}", None, {}
        if name == "ogc_items":
            d = 0.02
            return "GET", (f"/ogc/collections/reports/items?limit=50&bbox={lon - d:.4f},{lat - d:.4f},"
                           f"{lon + d:.4f},{lat + d:.4f}"), None, {}
        if name == "nearby":
            return "GET", f"/api/v1/reports/nearby?lon={lon:.6f}&lat={lat:.6f}&radius_m=1000", None, auth
        if name == "dashboard":
            return "GET", "/dasbor/", None, {}
        if name == "counts":
            return "GET", "/api/v1/reports/counts/?group_by=desa", None, {}
        if name == "submit":
            body = json.dumps({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                               "category": rng.choice(self.categories), "lon": round(lon, 6), "lat": round(lat, 6),
                               "accuracy_m": 15, "description": "Uji beban: jalan berlubang di dekat jembatan."})
            return "POST", "/api/v1/reports/", body, {"Content-Type": "application/json"}
        raise ValueError(name)

    def _available(self):
        weights = {"tiles": 45, "lookup": 10, "ogc_items": 15, "nearby": 10, "dashboard": 5, "counts": 5,
                   "submit": 10}
        rng = random.Random(SEED)
        available = {}
        for name, weight in weights.items():
            if name == "submit" and not self.categories:
                print(f"[load] {name}: no categories; skipped")
                continue
            method, path, body, headers = self.request(name, rng)
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            r.read()
            if r.status >= 400 and r.status != 404 or r.status == 404 and name not in ("tiles",):
                print(f"[load] {name}: {method} {path.split('?')[0]} answered {r.status}; left out of the mix")
                continue
            available[name] = weight
        return available


def run_step(mix, users, seconds):
    stop = time.monotonic() + seconds
    lat = defaultdict(list)
    errors = defaultdict(int)
    lock = threading.Lock()
    names, weights = zip(*mix.endpoints.items())

    def user(i):
        rng = random.Random(SEED * 1000 + users * 100 + i)
        conn = http.client.HTTPConnection("127.0.0.1", mix.port, timeout=30)
        local, local_err = defaultdict(list), defaultdict(int)
        while time.monotonic() < stop:
            name = rng.choices(names, weights)[0]
            method, path, body, headers = mix.request(name, rng)
            t = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                r.read()
                ok = r.status < 400 or (name == "tiles" and r.status == 404)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", mix.port, timeout=30)
                ok = False
            local[name].append((time.perf_counter() - t) * 1000)
            if not ok:
                local_err[name] += 1
        with lock:
            for k, v in local.items():
                lat[k].extend(v)
            for k, v in local_err.items():
                errors[k] += v

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return elapsed, lat, errors


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main():
    points, token = prepare()
    proc, port = start_server()
    try:
        mix = Mix(port, points, token)
        print(f"[load] mix: {mix.endpoints}")
        run_step(mix, 4, 5)  # warm-up: connections, caches, planner
        results = []
        for users in STEPS:
            elapsed, lat, errors = run_step(mix, users, STEP_SECONDS)
            total = sum(len(v) for v in lat.values())
            row = {"users": users, "rps": total / elapsed, "errors": sum(errors.values()),
                   "per": {k: (len(v) / elapsed, pct(v, 0.5), pct(v, 0.99), errors.get(k, 0))
                           for k, v in sorted(lat.items())}}
            row["p99_max"] = max(p99 for _, _, p99, _ in row["per"].values())
            results.append(row)
            print(f"\n[load] {users} users: {row['rps']:.0f} req/s, errors {row['errors']}, "
                  f"worst p99 {row['p99_max']:.0f} ms")
            for k, (rps, p50, p99, err) in row["per"].items():
                print(f"    {k:10s} {rps:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  errors {err}")
        good = [r for r in results if r["p99_max"] < P99_LIMIT_MS and r["errors"] == 0]
        best = max(good, key=lambda r: r["rps"]) if good else None
        floor = results[0]
        print("\n[load] reference (1 user): "
              f"{floor['rps']:.0f} req/s, worst p99 {floor['p99_max']:.0f} ms")
        if best:
            print(f"[load] sustained: {best['rps']:.0f} req/s at {best['users']} users, every p99 < "
                  f"{P99_LIMIT_MS} ms, no errors ({best['rps'] / floor['rps']:.1f}x the 1-user reference)")
        else:
            print("[load] no step kept every p99 under 500 ms without errors")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
