"""RT Online benchmark (issue 3).

    .venv/bin/python bench/reports.py [--reports 1000000] [--bulk 100000]
                                      [--seconds 20] [--clients 8] [--nearby 500]

1. Tops the database up to --reports synthetic reports (timed if it loads).
2. Bulk import: --bulk rows through reports.bulk.reports_import (COPY, set-based
   desa assignment and routing, timelines); reference: a bare COPY of the same
   rows into an unindexed temporary table (the I/O ceiling). The rows are
   deleted afterwards.
3. Submissions: POST /api/v1/reports/ (routing, duplicate check, notification
   on commit) over real HTTP to gunicorn on a free loopback port, --clients
   keep-alive connections for --seconds, each from a random citizen address
   (X-Forwarded-For, NUM_PROXIES=1 as behind nginx: production throttle
   rates); reference: GET /healthz on the same server (framework overhead
   ceiling). The submitted reports are deleted.
4. Nearby: GET /api/v1/reports/nearby radius 2 km as a PUPR field crew, p50/p99
   over --nearby requests; reference: the same selector called in-process
   (database time without HTTP).
Targets (issue 3): >= 200 submissions/s, >= 10,000 imported reports/s,
nearby p99 <= 20 ms.
"""
import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

# Categories without a required photo, weighted like real traffic.
SUBMIT_CATEGORIES = ["flood", "street-light", "health-visit", "water", "storm-tree", "traffic", "social-assistance"]


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int, threads: int, redis_url: str = ""):
    port = free_port()
    # As deployed behind nginx (NUM_PROXIES=1): each submission comes from a
    # citizen's own address in X-Forwarded-For, so the per-IP throttles run
    # with their production rates and short histories (a single loopback
    # client under raised rates made every request read and write a history
    # of thousands of entries). The field crew's nearby requests all come
    # from one user: their per-user rate is raised.
    env = {**os.environ, "DEBUG": "false", "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "NUM_PROXIES": "1", "THROTTLE_USER": "1000000/min"}
    if redis_url:
        # As deployed: Redis for the cache (throttles, tiles) and as the Celery
        # broker, so notifications are queued for a worker, not sent in the request.
        env.update(REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url)
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "-k", "gthread", "--threads", str(threads), "--keep-alive", "30",
         "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def hammer(port, seconds, clients, make_request):
    """clients threads, each on its own keep-alive connection; returns (requests/s, errors,
    latencies ms, client CPU in cores)."""
    stop = time.perf_counter() + seconds
    lock = threading.Lock()
    totals = {"n": 0, "errors": 0, "lat": []}

    def run(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rng = random.Random(i)
        n, errors, lat = 0, 0, []
        while time.perf_counter() < stop:
            method, path, body, headers, ok = make_request(rng)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status not in ok:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            lat.append((time.perf_counter() - t0) * 1000)
            n += 1
        with lock:
            totals["n"] += n
            totals["errors"] += errors
            totals["lat"].extend(lat)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    t0, cpu0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    # The client's own CPU (cores busy on average): near 1 means the Python
    # client, not the server, may be what limits the rate.
    totals["client_cores"] = (time.process_time() - cpu0) / wall
    return totals["n"] / wall, totals["errors"], totals["lat"], totals["client_cores"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--nearby", type=int, default=500)
    parser.add_argument("--redis", default="",
                        help="e.g. redis://127.0.0.1:6379/14: cache and Celery broker of the server under test "
                             "(queued notification tasks are counted and removed afterwards); default: none, "
                             "notifications run inline after each commit")
    args = parser.parse_args()

    import django
    django.setup()
    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import Role
    from accounts.services import membership_grant, user_create
    from geo.models import Agency
    from geo.selectors import desa_centroids
    from reports import synthetic
    from reports.bulk import reports_import
    from reports.models import Report
    from reports.selectors import reports_nearby

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.1f}")

    # 1. The data set.
    t0 = time.perf_counter()
    before = Report.objects.filter(is_synthetic=True).count()
    counts = synthetic.reports_generate_synthetic(target=args.reports, seed=1, batch_size=100_000)
    elapsed = time.perf_counter() - t0
    loaded = counts["total"] - before
    print(f"[data] synthetic reports: {counts['total']:,}"
          + (f" (loaded {loaded:,} in {elapsed:.0f} s, {loaded / elapsed:,.0f}/s)" if loaded else ""))
    total_reports = Report.objects.count()

    # 2. Bulk import vs a bare COPY of the same rows.
    rows = list(synthetic._rows(count=args.bulk, seed=424242, now=timezone.now()))
    for r in rows:
        r.is_synthetic = False
        r.channel = "import"
        r.tracking_code = "KB" + r.tracking_code[2:]
        r.events = ()  # an import from another channel: one "created" entry each
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_copy (id uuid, tracking_code text, category text, lon float8, "
                       "lat float8, created_at timestamptz, status text, description text)")
        t0 = time.perf_counter()
        with cursor.copy("COPY bench_copy FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r.id, r.tracking_code, r.category_code, r.lon, r.lat, r.created_at, r.status,
                                r.description))
        copy_rate = len(rows) / (time.perf_counter() - t0)
        cursor.execute("DROP TABLE bench_copy")
    t0 = time.perf_counter()
    result = reports_import(rows=rows, batch_size=50_000)
    bulk_seconds = time.perf_counter() - t0
    bulk_rate = result["read"] / bulk_seconds
    from django.conf import settings

    print(f"[bulk] {result['read']:,} rows in {bulk_seconds:.1f} s ({settings.REPORTS_IMPORT_WORKERS} batches at "
          f"once): {bulk_rate:,.0f} reports/s "
          f"(inserted {result['inserted']:,}, outside coverage {result['skipped']:,}); reference bare COPY "
          f"{copy_rate:,.0f} rows/s; ratio {bulk_rate / copy_rate:.2f}")
    with connection.cursor() as cursor:
        ids = [r.id for r in rows]
        cursor.execute("DELETE FROM reports_reportevent WHERE report_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM reports_report WHERE id = ANY(%s)", [ids])

    # 3 and 4 over HTTP.
    centres = desa_centroids()
    crew = user_create(username=f"bench_crew_{uuid.uuid4().hex[:8]}")
    membership_grant(user=crew, role=Role.FIELD_CREW, agency=Agency.objects.get(code="pupr"))
    token = Token.objects.create(user=crew).key
    submitted = []

    def submit_request(rng):
        _, lon, lat = rng.choice(centres)
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        submitted.append(rid)
        body = json.dumps({"id": rid, "category": rng.choice(SUBMIT_CATEGORIES),
                           "lon": lon + rng.gauss(0, 0.006), "lat": lat + rng.gauss(0, 0.006),
                           "description": "[BENCH] uji beban"})
        citizen = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        return ("POST", "/api/v1/reports/", body, {"Content-Type": "application/json", "X-Forwarded-For": citizen},
                (200, 201, 400))

    def health_request(rng):
        return "GET", "/healthz", None, {}, (200,)

    with gunicorn(workers=args.workers, threads=4, redis_url=args.redis) as port:
        hammer(port, 2, args.clients, health_request)  # warm up
        health_rate, _, _, health_client = hammer(port, args.seconds / 2, args.clients, health_request)
        rate, errors, lat, submit_client = hammer(port, args.seconds, args.clients, submit_request)
        created = Report.objects.filter(id__in=submitted).count()
        print(f"[submit] {rate:,.0f} submissions/s over HTTP ({args.clients} clients, {args.workers} workers, "
              f"{args.seconds:.0f} s; {created:,} created, {errors} errors; latency p50 "
              f"{percentile(lat, 50):.1f} ms p99 {percentile(lat, 99):.1f} ms); reference GET /healthz "
              f"{health_rate:,.0f} req/s; ratio {rate / health_rate:.2f}; client CPU {submit_client:.2f} cores "
              f"(healthz: {health_client:.2f})")

        # Nearby, sequential on one kept-alive connection (latency, not throughput).
        rng = random.Random(7)
        queries = []
        for _ in range(args.nearby):
            _, lon, lat = rng.choice(centres)
            queries.append((lon + rng.gauss(0, 0.005), lat + rng.gauss(0, 0.005)))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {token}"}
        http_ms, sizes = [], []
        for i, (lon, lat) in enumerate(queries):
            t0 = time.perf_counter()
            conn.request("GET", f"/api/v1/reports/nearby?lon={lon}&lat={lat}&radius_m=2000", headers=headers)
            response = conn.getresponse()
            body = response.read()
            if i >= 20:  # the first requests warm the worker
                http_ms.append((time.perf_counter() - t0) * 1000)
                sizes.append(json.loads(body)["count"])
        agency_ids = {Agency.objects.get(code="pupr").id}
        sql_ms = []
        for lon, lat in queries:
            t0 = time.perf_counter()
            reports_nearby(agency_ids=agency_ids, lon=lon, lat=lat, radius_m=2000)
            sql_ms.append((time.perf_counter() - t0) * 1000)
        print(f"[nearby] radius 2 km over {total_reports:,} reports, HTTP: p50 {percentile(http_ms, 50):.1f} ms "
              f"p99 {percentile(http_ms, 99):.1f} ms (mean results {statistics.fmean(sizes):.0f}); reference "
              f"in-process selector p50 {percentile(sql_ms, 50):.1f} ms p99 {percentile(sql_ms, 99):.1f} ms; "
              f"ratio p99 {percentile(http_ms, 99) / percentile(sql_ms, 99):.2f}")

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reports_reportevent WHERE report_id = ANY(%s::uuid[])", [submitted])
        cursor.execute("DELETE FROM reports_routingdecision WHERE report_id = ANY(%s::uuid[])", [submitted])
        cursor.execute("DELETE FROM reports_report WHERE id = ANY(%s::uuid[])", [submitted])
    crew.delete()
    if args.redis:
        import redis
        queue = redis.Redis.from_url(args.redis)
        print(f"[submit] notification tasks queued for a worker: {queue.llen('celery'):,} (removed)")
        queue.delete("celery")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"targets: submissions >= 200/s: {'met' if rate >= 200 else 'NOT met'}; bulk >= 10,000/s: "
          f"{'met' if bulk_rate >= 10_000 else 'NOT met'}; nearby p99 <= 20 ms: "
          f"{'met' if percentile(http_ms, 99) <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
