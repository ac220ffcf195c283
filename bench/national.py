"""The province on a real distributed engine: one PostgreSQL against Citus.

    NATIONAL_RUN=1 .venv/bin/python bench/national.py   # NATIONAL_REPORTS=10000000 (the issue's target)

Opt-in (past the 10-minute budget of `make bench` at full size). In one run:

1. starts two private setups on this machine with the same server settings:
   one PostgreSQL (its own cluster) and Citus (coordinator + 2 workers,
   scripts/citus.sh under .state/citus-bench);
2. on each, creates the province schema (tenancy.schema: reports distributed by
   regency code, events/desa/routing co-located, categories/holidays/regency
   outlines/dashboard as reference tables; a no-op distribution on PostgreSQL),
   loads the real boundaries of all 14 kabupaten/kota (tenancy.load), and
   generates NATIONAL_REPORTS synthetic reports inside the desa polygons (density
   by desa area: the data set gives no desa population), each routed by the
   regency's rules (2 connections, regencies split by area; the secondary indexes,
   the tracking-code constraint and the event foreign key built after the load);
3. measures the same workload on both: submissions/s (lookup + routing + insert
   of report and event, NATIONAL_CLIENTS concurrent clients), nearby p99, z14
   tile p50, one regency's queue p95, province dashboard refresh; prints the
   Citus/PostgreSQL ratio per query and whether each single-regency query is
   a one-task router query;
4. on Citus, adds a third worker and rebalances the shards while submissions
   continue; counts errors and checks every acknowledged report is there.
"""
import datetime
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tenancy import load, queries, schema  # noqa: E402

REPORTS = int(os.environ.get("NATIONAL_REPORTS", 10_000_000))
SHARDS = int(os.environ.get("NATIONAL_SHARDS", 32))
CLIENTS = int(os.environ.get("NATIONAL_CLIENTS", 4))
SUBMISSIONS = int(os.environ.get("NATIONAL_SUBMISSIONS", 1000))
SAMPLES = int(os.environ.get("NATIONAL_SAMPLES", 300))
PGOPTS = "-c shared_buffers=256MB -c work_mem=16MB -c max_wal_size=4GB -c checkpoint_timeout=30min"
AT = datetime.datetime(2026, 12, 1, 0, 0, tzinfo=datetime.timezone.utc)  # the run's "now", passed in
CITUS_STATE = ROOT / ".state" / "citus-bench"
CITUS_PORT = 54360
PLAIN_PORT = 54370
DB = "bench_prov"

GENERATE = """
INSERT INTO prov_report (regency_code, tracking_code, category_id, desa_code, agency, status, location, created_at)
SELECT q.regency_code, q.regency_code || '-' || upper(substr(md5(random()::text || q.pt::text), 1, 16)),
       q.category, q.desa_code, r.agency,
       (ARRAY['baru', 'diproses', 'selesai', 'selesai', 'selesai'])[1 + floor(random() * 5)::int],
       q.pt, %(at)s::timestamptz - random() * interval '365 days'
  FROM (SELECT p.regency_code, p.desa_code, p.pt, 1 + floor(random() * 22)::int AS category
          FROM (SELECT regency_code, desa_code,
                       (ST_Dump(ST_GeneratePoints(geom, greatest(1, round(%(n)s * ST_Area(geom) / %(total)s))::int))).geom AS pt
                  FROM prov_desa_part WHERE regency_code = ANY(%(regencies)s)) p) q
  JOIN prov_routing_rule r ON r.regency_code = q.regency_code AND r.category_id = q.category
"""
EVENTS = ("INSERT INTO prov_report_event (regency_code, report_id, at, kind) "
          "SELECT regency_code, id, created_at, 'submitted' FROM prov_report WHERE regency_code = ANY(%(regencies)s)")
GEN_JOBS = int(os.environ.get("NATIONAL_GEN_JOBS", 2))  # parallel generating connections (regencies split by area)
# Built after the bulk load (a sorted GiST build and one btree sort each, instead of
# 10,000,000 random index insertions); the same indexes as tenancy.schema.
LATE_INDEXES = [
    ("prov_report_location", "CREATE INDEX prov_report_location ON prov_report USING gist (location)"),
    ("prov_report_queue", "CREATE INDEX prov_report_queue ON prov_report (regency_code, agency, status, created_at)"),
    ("prov_report_event_report",
     "CREATE INDEX prov_report_event_report ON prov_report_event (regency_code, report_id, at)"),
]
UNIQUE_TRACKING = "prov_report_regency_code_tracking_code_key"


def say(*args):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%H:%M:%S")
    load1 = os.getloadavg()[0]
    print(f"[national {stamp} load {load1:.1f}]", *args, flush=True)


def run_as():
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def plain_start() -> str:
    bindir = Path("/usr/lib/postgresql/15/bin")
    data = ROOT / ".state" / "plainpg-bench"
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "postgres", str(data)], check=True)
    if not (data / "data" / "PG_VERSION").exists():
        subprocess.run([*run_as(), str(bindir / "initdb"), "-D", str(data / "data"), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
    status = subprocess.run([*run_as(), str(bindir / "pg_ctl"), "-D", str(data / "data"), "status"],
                            capture_output=True)
    if status.returncode != 0:
        subprocess.run([*run_as(), str(bindir / "pg_ctl"), "-D", str(data / "data"), "-l", str(data / "log"), "-w",
                        "-o", f"-p {PLAIN_PORT} -k {data} -c listen_addresses=127.0.0.1 {PGOPTS}", "start"],
                       check=True, capture_output=True)
    admin = f"postgresql://postgres@127.0.0.1:{PLAIN_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    return f"postgresql://postgres@127.0.0.1:{PLAIN_PORT}/{DB}"


def plain_stop():
    data = ROOT / ".state" / "plainpg-bench" / "data"
    subprocess.run([*run_as(), "/usr/lib/postgresql/15/bin/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"],
                   capture_output=True)


def citus_env():
    return {**os.environ, "KR_CITUS_STATE": str(CITUS_STATE), "KR_CITUS_PORT": str(CITUS_PORT),
            "KR_CITUS_DB": DB, "KR_CITUS_PGOPTS": PGOPTS}


def citus(*args) -> str:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "citus.sh"), *args], env=citus_env(),
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"scripts/citus.sh {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def citus_start() -> str:
    citus("stop")
    import shutil
    shutil.rmtree(CITUS_STATE, ignore_errors=True)  # a fresh cluster each run (2 workers)
    citus("start")
    return f"postgresql://postgres@127.0.0.1:{CITUS_PORT}/{DB}"


def _split(areas: dict, jobs: int) -> list[list[str]]:
    """Regencies into `jobs` groups of about equal area (greedy, largest first)."""
    groups = [[0.0, []] for _ in range(max(1, jobs))]
    for code, area in sorted(areas.items(), key=lambda kv: -kv[1]):
        g = min(groups, key=lambda g: g[0])
        g[0] += area
        g[1].append(code)
    return [g[1] for g in groups if g[1]]


def build(url: str, label: str) -> dict:
    with psycopg.connect(url) as conn:
        t = time.perf_counter()
        schema.create(conn, shard_count=SHARDS)
        counts = load.load_regencies(conn)
        t_load = time.perf_counter() - t
        with conn.cursor() as cur:
            cur.execute("SELECT regency_code, sum(ST_Area(geom)) FROM prov_desa_part GROUP BY 1")
            areas = dict(cur.fetchall())
            # bulk load without the secondary indexes, the tracking-code constraint and the event FK
            cur.execute("ALTER TABLE prov_report_event DROP CONSTRAINT IF EXISTS prov_report_event_report_fk")
            cur.execute(f"ALTER TABLE prov_report DROP CONSTRAINT IF EXISTS {UNIQUE_TRACKING}")
            for name, _ in LATE_INDEXES:
                cur.execute(f"DROP INDEX IF EXISTS {name}")
        conn.commit()
    total = sum(areas.values())
    t = time.perf_counter()
    made, errors = [], []

    def job(regencies):
        try:
            with psycopg.connect(url) as c, c.cursor() as cur:
                cur.execute(GENERATE, {"n": REPORTS, "total": total, "at": AT, "regencies": regencies})
                made.append(cur.rowcount)
                cur.execute(EVENTS, {"regencies": regencies})
                c.commit()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(g,)) for g in _split(areas, GEN_JOBS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise errors[0]
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for _, ddl in LATE_INDEXES:
            conn.execute(ddl)
        conn.execute(f"ALTER TABLE prov_report ADD CONSTRAINT {UNIQUE_TRACKING} UNIQUE (regency_code, tracking_code)")
        conn.execute("ALTER TABLE prov_report_event ADD CONSTRAINT prov_report_event_report_fk "
                     "FOREIGN KEY (regency_code, report_id) REFERENCES prov_report (regency_code, id)")
        conn.execute("ANALYZE prov_report")
        conn.execute("ANALYZE prov_report_event")
        size = conn.execute("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                            "WHERE c.relname IN ('prov_report', 'prov_report_event')").fetchone()[0]
        try:  # on Citus the shards hold the data
            size = conn.execute("SELECT pg_size_pretty(citus_total_relation_size('prov_report') + "
                                "citus_total_relation_size('prov_report_event'))").fetchone()[0]
        except psycopg.Error:
            pass
    t_idx = time.perf_counter() - t
    n = sum(made)
    say(f"{label}: boundaries {counts['desa']} desa / {counts['desa_part']} parts in {t_load:.0f} s; "
        f"{n:,} reports + events in {t_gen:.0f} s ({GEN_JOBS} connections); indexes, constraints, "
        f"ANALYZE in {t_idx:.0f} s; reports + events on disk {size}")
    return {"reports": n, "load_s": t_load, "generate_s": t_gen, "index_s": t_idx}


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def sample_points(url, n, seed=23):
    """Points inside desa parts (for submissions) and existing reports (for reads)."""
    rng = random.Random(seed)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM prov_desa_part "
                    "ORDER BY regency_code, id) s")
        inside = cur.fetchall()
        cur.execute("SELECT regency_code, id, tracking_code, agency, ST_X(location), ST_Y(location) "
                    "FROM prov_report TABLESAMPLE SYSTEM (1) LIMIT 20000")
        reports = cur.fetchall()
        if len(reports) < n:  # a small run: 1 % of the pages may hold none
            cur.execute("SELECT regency_code, id, tracking_code, agency, ST_X(location), ST_Y(location) "
                        "FROM prov_report ORDER BY random() LIMIT 20000")
            reports = cur.fetchall()
    rng.shuffle(reports)
    return [rng.choice(inside) for _ in range(n)], reports[:n]


def tile_of(lon, lat, z):
    import math
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def submissions(url, points, clients) -> tuple[float, int, list]:
    chunks = [points[i::clients] for i in range(clients)]
    errors, done = [], []

    def client(chunk):
        with psycopg.connect(url) as conn:
            for lon, lat in chunk:
                try:
                    done.append(queries.submit(conn, lon=lon, lat=lat, category=8, description="bench", at=AT))
                except Exception as exc:  # counted, never hidden
                    errors.append(repr(exc))
                    conn.rollback()

    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return len(done) / (time.perf_counter() - t), len(errors), done


def measure(url, label) -> dict:
    points, reports = sample_points(url, max(SUBMISSIONS, SAMPLES))
    out = {}
    rate, errors, _ = submissions(url, points[:SUBMISSIONS], CLIENTS)
    out["submissions/s"] = rate
    say(f"{label}: {SUBMISSIONS} submissions, {CLIENTS} clients: {rate:.0f}/s, {errors} errors")
    with psycopg.connect(url) as conn:
        def timed(fn, items):
            samples = []
            for item in items:
                t = time.perf_counter()
                fn(item)
                samples.append((time.perf_counter() - t) * 1000)
            return samples

        def run(name, params):
            with conn.cursor() as cur:
                cur.execute(queries.sql_of(name), params)
                cur.fetchall()
            conn.commit()

        rs = reports[:SAMPLES]
        nearby = timed(lambda r: run("nearby", {"regency": r[0], "lon": r[4], "lat": r[5]}), rs)
        tiles = timed(lambda r: queries.tile(conn, **dict(zip("zxy", tile_of(r[4], r[5], 14)))), rs)
        queue = timed(lambda r: run("queue", {"regency": r[0], "agency": r[3]}), rs)
        tracking = timed(lambda r: run("tracking", {"regency": queries.regency_of_tracking(r[2]),
                                                    "tracking": r[2]}), rs)
        dash = timed(lambda _: queries.dashboard_refresh(conn, at=AT), range(3))
    out.update({"nearby p99 ms": pct(nearby, 99), "nearby p50 ms": pct(nearby, 50),
                "z14 tile p50 ms": pct(tiles, 50), "queue p95 ms": pct(queue, 95),
                "tracking p50 ms": pct(tracking, 50), "dashboard refresh ms": statistics.median(dash)})
    for k, v in out.items():
        if k != "submissions/s":
            say(f"{label}: {k} {v:.2f}")
    return out


def router_check(url) -> dict:
    """Task count of each single-regency query on Citus (EXPLAIN)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT regency_code, id, tracking_code, agency, ST_X(location), ST_Y(location) "
                    "FROM prov_report WHERE regency_code = '61.12' LIMIT 1")
        r = cur.fetchone()
        z, x, y = tile_of(r[4], r[5], 14)
        checks = {"desa_at": {"regency": r[0], "lon": r[4], "lat": r[5]},
                  "nearby": {"regency": r[0], "lon": r[4], "lat": r[5]},
                  "queue": {"regency": r[0], "agency": r[3]},
                  "tracking": {"regency": r[0], "tracking": r[2]},
                  "timeline": {"regency": r[0], "report_id": r[1]},
                  "tile": {"regencies": [r[0]], "z": z, "x": x, "y": y},
                  "province_counts": {}}
        out = {}
        for name, params in checks.items():
            cur.execute("EXPLAIN " + queries.sql_of(name), params)
            out[name] = int(re.search(r"Task Count: (\d+)", "\n".join(x[0] for x in cur.fetchall())).group(1))
        conn.rollback()
    return out


def placement_sizes(url) -> str:
    """Per worker: shards of prov_report holding rows / all of them, and the bytes of all
    distributed shards (14 regencies hash to at most 14 of the shards: the others are empty)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nodeport, count(*) FILTER (WHERE table_name::text = 'prov_report' AND shard_size > 65536), "
            "count(*) FILTER (WHERE table_name::text = 'prov_report'), "
            "pg_size_pretty(sum(shard_size)) FROM citus_shards WHERE citus_table_type = 'distributed' "
            "GROUP BY 1 ORDER BY 1").fetchall()
    return "; ".join(f"port {port}: {full}/{n} report shards with rows, {size}" for port, full, n, size in rows)


def rebalance(url) -> dict:
    """Third worker + rebalance while submissions continue: errors and lost reports."""
    points, _ = sample_points(url, 5000, seed=7)
    stop = threading.Event()
    acked, errors = [], []

    def submitter():
        with psycopg.connect(url) as conn:
            i = 0
            while not stop.is_set():
                lon, lat = points[i % len(points)]
                i += 1
                try:
                    acked.append(queries.submit(conn, lon=lon, lat=lat, category=8, description="rebalance", at=AT))
                except Exception as exc:
                    errors.append(repr(exc))
                    conn.rollback()

    say(f"citus: before the rebalance, {placement_sizes(url)}")
    threads = [threading.Thread(target=submitter) for _ in range(2)]
    for th in threads:
        th.start()
    time.sleep(3)
    t = time.perf_counter()
    citus("add-worker", "3")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT citus_rebalance_start()")
        conn.execute("SELECT citus_rebalance_wait()")
        placements = conn.execute("SELECT nodeport, count(*) FROM citus_shards WHERE table_name::text = "
                                  "'prov_report' GROUP BY 1 ORDER BY 1").fetchall()
    took = time.perf_counter() - t
    say(f"citus: after the rebalance, {placement_sizes(url)}")
    time.sleep(3)
    stop.set()
    for th in threads:
        th.join()
    with psycopg.connect(url) as conn:
        found = 0
        for s in acked:
            found += conn.execute("SELECT count(*) FROM prov_report WHERE regency_code = %s AND tracking_code = %s",
                                  [s.regency, s.tracking_code]).fetchone()[0]
    out = {"rebalance s": took, "submitted during": len(acked), "errors": len(errors),
           "lost": len(acked) - found, "placements": placements}
    say(f"citus: +worker3 and rebalance in {took:.0f} s; {len(acked)} submissions meanwhile, "
        f"{len(errors)} errors, {len(acked) - found} lost; prov_report shards per worker port {placements}")
    if errors:
        say("first error:", errors[0])
    return out


def main():
    if os.environ.get("NATIONAL_RUN") != "1":
        print("[national] skipped: opt-in (NATIONAL_RUN=1); builds two private setups and "
              f"{REPORTS:,} reports on each")
        return
    say(f"{REPORTS:,} reports over the 14 kabupaten/kota; {SHARDS} shards; {CLIENTS} clients; "
        f"{SUBMISSIONS} submissions; {SAMPLES} samples per read query")
    plain_url = plain_start()
    citus_url = citus_start()
    try:
        build(plain_url, "postgresql")
        build(citus_url, "citus")
        a = measure(plain_url, "postgresql")
        b = measure(citus_url, "citus")
        say("single-regency task counts on citus (EXPLAIN):", router_check(citus_url))
        say("ratio citus / postgresql (time; for submissions/s, throughput):")
        for k in a:
            say(f"  {k}: {a[k]:.2f} -> {b[k]:.2f}  x{b[k] / a[k]:.2f}")
        rebalance(citus_url)
    finally:
        if os.environ.get("NATIONAL_KEEP") != "1":
            citus("stop")
            plain_stop()


if __name__ == "__main__":
    main()
