"""Point-to-desa assignment: bulk SQL vs the HTTP API vs shapely in memory.

    .venv/bin/python bench/lookup.py [--points 1000000] [--http-sample 2000]

(a) one bulk SQL statement (geo.selectors.points_assign_desa) over N random
points in the regency's bounding box; (b) GET /api/v1/areas/covering one at a
time over a kept-alive connection to gunicorn on loopback (warm), p50/p99,
and with --drf-reference the same points through DRF's full dispatch
(?format=json) interleaved, a same-run reference for the lean path of
geo.apis.AreasCoveringApi (off by default: the per-IP throttles keep every
request of the last minute, so twice the requests make every request dearer);
(c) the reference: shapely 2 STRtree, vectorised, in memory, over the same
points and the same polygons (covering test only: no nearest-desa fallback).
"""
import argparse
import os
import http.client
import json
import time
from urllib.parse import urlparse

import numpy as np

from _common import django_setup, http_server, machine, percentile

BBOX = (109.0533, -1.0143, 109.9731, 0.2298)  # desa layer, from the data README


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--http-sample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--clients", type=int, default=1,
                        help="client addresses the requests come from (X-Forwarded-For, as nginx sets it "
                             "in production with NUM_PROXIES=1); 1 = the loopback client alone")
    parser.add_argument("--drf-reference", action="store_true",
                        help="also time each point through DRF's dispatch (?format=json), interleaved")
    args = parser.parse_args()
    django_setup()
    import shapely
    from django.db import connection
    from shapely import STRtree

    from geo.models import Area
    from geo.selectors import edition_current, points_assign_desa

    rng = np.random.default_rng(args.seed)
    lons = rng.uniform(BBOX[0], BBOX[2], args.points)
    lats = rng.uniform(BBOX[1], BBOX[3], args.points)
    edition = edition_current()
    print(f"machine: {machine()}; points: {args.points:,}; edition: {edition}; "
          f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    # (c) reference first, so the database is not favoured by a warm OS cache alone.
    desa = list(Area.objects.filter(edition=edition, level="desa", boundary__isnull=False)
                .order_by("code").values_list("code", "boundary__geom"))
    polygons = [shapely.from_wkb(bytes(g.wkb)) for _, g in desa]
    t0 = time.perf_counter()
    tree = STRtree(polygons)
    points = shapely.points(lons, lats)
    point_idx, poly_idx = tree.query(points, predicate="covered_by")
    assigned = np.full(args.points, -1)
    # lowest code wins on ties, as in the database (polygons are in code order)
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    assigned[point_idx[first]] = poly_idx[first]
    t_ref = time.perf_counter() - t0
    ref_rate = args.points / t_ref
    print(f"(c) shapely STRtree in memory: {t_ref:.2f} s, {ref_rate:,.0f} points/s, "
          f"{(assigned >= 0).sum():,} covered")

    # (a) bulk, one SQL statement
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    t0 = time.perf_counter()
    result = points_assign_desa(lons=lons.tolist(), lats=lats.tolist())
    t_bulk = time.perf_counter() - t0
    bulk_rate = args.points / t_bulk
    ids = {a.id: a.code for a in Area.objects.filter(edition=edition, level="desa")}
    codes = [ids.get(i) for i in result.desa_ids]
    ref_codes = [desa[i][0] if i >= 0 else None for i in assigned]
    exact = sum(1 for c, r, approx in zip(codes, ref_codes, result.approximate)
                if c and not approx and c == r)
    covered_db = sum(1 for c, approx in zip(codes, result.approximate) if c and not approx)
    print(f"(a) bulk SQL, one statement: {t_bulk:.2f} s, {bulk_rate:,.0f} points/s "
          f"({bulk_rate / ref_rate:.2f}x the in-memory rate); covered {covered_db:,}, "
          f"approximate {sum(result.approximate):,}; agrees with shapely on {exact:,} of {covered_db:,}")

    # (b) HTTP API, one point at a time, warm, kept-alive connection
    inside = [(lo, la) for lo, la, c in zip(lons, lats, codes) if c][: args.http_sample + 200]
    # DRF's throttles keep every request of the last minute per client and
    # read and write that list on each request: one client sending 200
    # lookups a second (its limit lifted by http_server) drags a list of
    # thousands, where a real client stays under its 600/min. --clients
    # spreads the requests over addresses, as many clients behind nginx.
    if args.clients > 1:
        os.environ["NUM_PROXIES"] = "1"
    with http_server() as base:
        url = urlparse(base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)  # cold workers on a loaded machine
        timings, drf_timings = [], []
        # The public request, then (--drf-reference) the same point with
        # ?format=json, which geo.apis sends through DRF's full dispatch.
        paths = (("", timings), ("&format=json", drf_timings)) if args.drf_reference else (("", timings),)
        for i, (lo, la) in enumerate(inside):
            client = i % args.clients
            headers = {"X-Forwarded-For": f"10.{client // 250}.{client % 250}.1"} if args.clients > 1 else {}
            for suffix, kept in paths:
                t0 = time.perf_counter()
                conn.request("GET", f"/api/v1/areas/covering?lon={lo:.6f}&lat={la:.6f}{suffix}",
                             headers=headers)
                response = conn.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - t0) * 1000
                if response.status != 200:
                    raise SystemExit(f"HTTP {response.status}: {body[:200]}")
                if i >= 200:  # the first 200 warm the workers
                    kept.append(elapsed)
        json.loads(body)
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    cache = "Redis" if os.environ.get("REDIS_URL") else "in process"
    print(f"(b) HTTP API one at a time ({args.clients} client address{'es' if args.clients > 1 else ''}, "
          f"throttle cache {cache}): n={len(timings)} p50={p50:.2f} ms p99={p99:.2f} ms "
          f"({1000 / (sum(timings) / len(timings)):,.0f} lookups/s on one connection)")
    if drf_timings:
        print(f"    same run, interleaved, through DRF's dispatch (?format=json): "
              f"p50={percentile(drf_timings, 50):.2f} ms p99={percentile(drf_timings, 99):.2f} ms")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"targets: bulk >= 50,000 points/s [{'met' if bulk_rate >= 50_000 else 'MISSED'}], "
          f">= 0.3x in-memory [{'met' if bulk_rate >= 0.3 * ref_rate else 'MISSED'}], "
          f"API p50 <= 5 ms [{'met' if p50 <= 5 else 'MISSED'}], p99 <= 20 ms [{'met' if p99 <= 20 else 'MISSED'}]")


if __name__ == "__main__":
    main()
