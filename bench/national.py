"""National-scale simulation on one machine: 80,000 desa, 10,000,000 reports.

    NATIONAL_RUN=1 .venv/bin/python bench/national.py   # NATIONAL_DESA=80000 NATIONAL_REPORTS=10000000

Opt-in (about 15 minutes here, past the 10-minute budget of `make bench`).

Builds a separate database (<name>_national, dropped and rebuilt each run):
synthetic desa as hexagons over Indonesia's extent, densified to ~130
vertices each (real desa boundaries are that detailed), subdivided for lookup
as the geo app does; 514 regencies (the distribution key of a Citus
deployment); reports as points with their regency code, in a table LIST-
partitioned by regency group so the planner's pruning shows which queries stay
on one shard. Then times, in the same run: point lookup (desa covering a
point), nearby (reports within 1 km, geography), a z14 vector tile of reports,
and the same three on the 123-desa / Kubu Raya scale as the reference.
"""
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DESA = int(os.environ.get("NATIONAL_DESA", 80_000))
REPORTS = int(os.environ.get("NATIONAL_REPORTS", 10_000_000))
SHARDS = int(os.environ.get("NATIONAL_SHARDS", 32))
# Indonesia's extent (EPSG:4326)
WEST, EAST, SOUTH, NORTH = 95.0, 141.0, -11.0, 6.0


def base_url() -> str:
    url = os.environ.get("DATABASE_URL") or (ROOT / ".state" / "database_url").read_text().strip()
    return url.replace("postgis://", "postgresql://", 1)


def with_db(url: str, name: str) -> str:
    head, _, tail = url.rpartition("/")
    return f"{head}/{name}"


def timed(label, fn, n):
    samples = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p50, p99 = statistics.median(samples), samples[min(n - 1, int(0.99 * n))]
    print(f"  {label:38s} n={n:5d}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms", flush=True)
    return p50, p99


def build(conn):
    t0 = time.perf_counter()
    # hexagon size (metres, EPSG:3857) giving about DESA cells over the extent
    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    area = conn.execute("SELECT ST_Area(ST_Transform(ST_MakeEnvelope(%s,%s,%s,%s,4326),3857))",
                        (WEST, SOUTH, EAST, NORTH)).fetchone()[0]
    edge = (area / DESA / (1.5 * 3 ** 0.5)) ** 0.5
    conn.execute("""
        CREATE TABLE desa AS
        SELECT row_number() OVER (ORDER BY h.i, h.j)::int AS id,
               ST_Multi(ST_Transform(ST_Segmentize(h.geom, %s), 4326))::geometry(MultiPolygon, 4326) AS geom,
               NULL::int AS regency
        FROM ST_HexagonGrid(%s, ST_Transform(ST_MakeEnvelope(%s,%s,%s,%s,4326),3857)) h
    """, (edge / 22, edge, WEST, SOUTH, EAST, NORTH))
    n = conn.execute("SELECT count(*) FROM desa").fetchone()[0]
    # 514 regencies: a coarse grid of desa ids (the distribution key)
    conn.execute("UPDATE desa SET regency = 1 + (id * 514 / (SELECT max(id) + 1 FROM desa))")
    conn.execute("""CREATE TABLE desa_part AS SELECT id AS desa_id, regency,
                    ST_Subdivide(geom, 64) AS geom FROM desa""")
    conn.execute("CREATE INDEX ON desa_part USING gist (geom)")
    vertices = conn.execute("SELECT avg(ST_NPoints(geom))::int FROM desa").fetchone()[0]
    print(f"[national] {n:,} desa (~{vertices} vertices each), subdivided, in {time.perf_counter() - t0:.0f} s",
          flush=True)

    t0 = time.perf_counter()
    conn.execute("""CREATE TABLE reports (id bigint, regency int NOT NULL, status smallint,
                    created_at timestamptz, location geometry(Point, 4326)) PARTITION BY LIST (regency)""")
    for s in range(SHARDS):
        members = ",".join(str(r) for r in range(1, 515) if r % SHARDS == s)
        conn.execute(f"CREATE TABLE reports_s{s} PARTITION OF reports FOR VALUES IN ({members})")
    # points: a random desa (by id), a random spot in its bounding box, in batches
    batch = 1_000_000
    for start in range(0, REPORTS, batch):
        conn.execute("""
            INSERT INTO reports
            SELECT g, d.regency, (g %% 6)::smallint, now() - (g %% 1000) * interval '1 hour',
                   ST_SetSRID(ST_MakePoint(ST_XMin(d.geom) + random() * (ST_XMax(d.geom) - ST_XMin(d.geom)),
                                           ST_YMin(d.geom) + random() * (ST_YMax(d.geom) - ST_YMin(d.geom))), 4326)
            FROM generate_series(%s, %s) g
            JOIN desa d ON d.id = 1 + (hashint4(g) & 2147483647) %% %s
        """, (start + 1, min(start + batch, REPORTS), n))
        print(f"[national]   {min(start + batch, REPORTS):,} reports", flush=True)
    conn.execute("CREATE INDEX ON reports USING gist (location)")
    conn.execute("CREATE INDEX ON reports USING gist ((location::geography))")
    conn.execute("ANALYZE")
    print(f"[national] {REPORTS:,} reports with two spatial indexes in {time.perf_counter() - t0:.0f} s", flush=True)
    return n


LOOKUP = "SELECT desa_id FROM desa_part WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) LIMIT 1"
NEARBY = """SELECT count(*) FROM reports WHERE regency = %s
            AND ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, 1000)"""
NEARBY_ALL = """SELECT count(*) FROM reports
            WHERE ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, 1000)"""
TILE = """SELECT length(ST_AsMVT(t, 'reports')) FROM (
            SELECT id, ST_AsMVTGeom(ST_Transform(location, 3857), ST_TileEnvelope(%s, %s, %s), 4096, 64, true) AS geom
            FROM reports WHERE location && ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => 64.0 / 4096), 4326)
        ) t"""


def tile_of(lon, lat, z):
    import math
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def measure(conn, label, points, regency_of):
    print(f"[national] {label}")
    res = {}
    res["lookup"] = timed("lookup: desa covering a point", lambda i: conn.execute(LOOKUP, points[i]).fetchone(),
                          len(points))
    res["nearby"] = timed("nearby 1 km (one regency shard)",
                          lambda i: conn.execute(NEARBY, (regency_of(points[i]), *points[i])).fetchone(), 300)
    res["tile"] = timed("vector tile z14 of reports",
                        lambda i: conn.execute(TILE, tile_of(*points[i], 14) * 2).fetchone(), 300)
    return res


def main():
    if os.environ.get("NATIONAL_RUN") != "1":
        print("[national] skipped: about 15 minutes on the 2-core machine; run with NATIONAL_RUN=1 "
              "(figures in docs/scaling.md)")
        return 0
    admin = with_db(base_url(), "postgres")
    name = base_url().rpartition("/")[2] + "_national"
    with psycopg.connect(admin, autocommit=True) as a:
        a.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        a.execute(f'CREATE DATABASE "{name}"')
    rng = random.Random(20261127)
    with psycopg.connect(with_db(base_url(), name), autocommit=True) as conn:
        n = build(conn)
        # query points inside random desa (point on surface), with their regency
        rows = conn.execute("SELECT ST_X(p), ST_Y(p), regency FROM (SELECT ST_PointOnSurface(geom) p, regency "
                            "FROM desa WHERE id = ANY(%s)) s",
                            ([rng.randint(1, n) for _ in range(2000)],)).fetchall()
        points = [(x, y) for x, y, _ in rows][:1000]
        regency = {(x, y): r for x, y, r in rows}
        national = measure(conn, f"national: {n:,} desa, {REPORTS:,} reports", points, lambda p: regency[p])

        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + NEARBY, (regency[points[0]], *points[0])))
        scanned = sorted(set(re.findall(r" on (reports_s\d+)\b", plan)))
        print(f"[national] nearby with the regency key scans {len(scanned)} of {SHARDS} partitions: {scanned}")
        plan_all = "\n".join(r[0] for r in conn.execute("EXPLAIN " + NEARBY_ALL, points[0]))
        scanned_all = set(re.findall(r" on (reports_s\d+)\b", plan_all))
        print(f"[national] nearby without the key scans {len(scanned_all)} of {SHARDS} partitions")

        # reference: one regency's worth (Kubu Raya scale) in the same database and run
        conn.execute("CREATE TABLE desa_part_one AS SELECT * FROM desa_part WHERE regency = %s",
                     (regency[points[0]],))
        conn.execute("CREATE INDEX ON desa_part_one USING gist (geom)")
        conn.execute("ANALYZE desa_part_one")
        one_lookup = LOOKUP.replace("desa_part", "desa_part_one")
        one_points = [p for p in regency if regency[p] == regency[points[0]]] or points[:1]
        print("[national] reference: one regency's desa (lookup)")
        ref = timed("lookup: one regency", lambda i: conn.execute(one_lookup, one_points[i % len(one_points)])
                    .fetchone(), 1000)
        print(f"[national] lookup p50 national / one regency: {national['lookup'][0] / ref[0]:.2f}x")
    if os.environ.get("NATIONAL_KEEP") != "1":
        with psycopg.connect(admin, autocommit=True) as a:
            a.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
