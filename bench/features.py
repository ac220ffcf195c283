"""Benchmark of issue 5: OGC API items pages, a bbox query, a full GeoJSON
export and all-desa statistics over 1,000,000 report points.

    DATABASE_URL=... .venv/bin/python bench/features.py [--rows 1000000]

Source: the `reports` layer and the planners' report source when the reports
app is installed and holds at least --rows reports (top up with
`reports_generate_synthetic --target 1000000`); otherwise a scratch table of
the same shape (clustered points around the 117 desa, categories, statuses,
times) registered as a layer, so that the same code paths (table_sql wrapper,
GeoJSON built in SQL, server-side cursor export, planner statistics) are
measured. The reference, measured in the same run, is the same page built in
Python (rows fetched, dicts built, json.dumps), the way the peers do it.
"""
import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from layers import exports, planner, registry  # noqa: E402
from layers.planner import PointSource  # noqa: E402
from layers.registry import DATETIME, STRING, Layer  # noqa: E402

TABLE = "bench_features_points"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def scratch_source(rows: int) -> tuple[Layer, PointSource]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        exists = cursor.fetchone()[0]
        if exists:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")
            exists = cursor.fetchone()[0] == rows
        if not exists:
            print(f"building {TABLE} with {rows:,} points ...", flush=True)
            started = time.perf_counter()
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            # Clustered around a point inside each desa (denser in the first
            # ones), ~1.5 km jitter; 12 categories (2 of them P1), 6 statuses,
            # two years of times.
            cursor.execute(f"""
                CREATE TABLE {TABLE} AS
                WITH d AS (
                    SELECT row_number() OVER (ORDER BY a.code) - 1 AS i, a.id AS desa_id, a.code,
                           ST_PointOnSurface(b.geom) AS p
                      FROM geo_area a JOIN geo_edition e ON e.id = a.edition_id AND e.is_current
                      JOIN geo_areaboundary b ON b.area_id = a.id WHERE a.level = 'desa'),
                s AS (
                    SELECT g, floor(power(random(), 1.6) * (SELECT count(*) FROM d))::int AS i
                      FROM generate_series(1, %s) g)
                SELECT s.g AS id,
                       ST_SetSRID(ST_MakePoint(ST_X(d.p) + (random() - 0.5) * 0.027,
                                               ST_Y(d.p) + (random() - 0.5) * 0.027), 4326) AS geom,
                       'kategori-' || (s.g %% 12) AS category_code,
                       (ARRAY['received','verified','dispatched','in_progress','resolved','rejected'])[1 + s.g %% 6]
                           AS status,
                       timestamptz '2025-01-01 00:00+00' + (s.g %% 730) * interval '1 day'
                           + (s.g %% 86400) * interval '1 second' AS created_at,
                       d.desa_id, d.code AS desa_code,
                       CASE WHEN s.g %% 12 IN (10, 11) THEN 'P1' ELSE 'P0' END AS publication_class
                  FROM s JOIN d ON d.i = s.i
            """, [rows])
            cursor.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
            cursor.execute(f"CREATE INDEX ON {TABLE} USING gist (geom)")
            cursor.execute(f"CREATE INDEX ON {TABLE} (desa_id)")
            cursor.execute(f"ANALYZE {TABLE}")
            print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    layer = Layer(
        id="bench-points", title="Bench points", description="", geometry_type="Point",
        geometry_treatment="exact", kip_class="berkala", legal_basis="-", producer="-", licence="-",
        update_frequency="-", id_type="integer", count_is_cheap=False, datetime_field="created_at",
        # Every row is a feature, so that the export is 1,000,000 features.
        base_sql=lambda: (f"SELECT id, geom, category_code, status, created_at, desa_code FROM {TABLE}", []),
        field_types={"category_code": STRING, "status": STRING, "created_at": DATETIME, "desa_code": STRING})
    registry.register_provider(lambda: [layer])
    return layer, PointSource(sql=f"SELECT *, 'desa'::text AS aggregate_level FROM {TABLE} "
                                  "WHERE status <> 'rejected'", params=[])


def reports_source(rows: int):
    layer = registry.layer_get("reports")
    if layer is None:
        return None
    from layers.policy.planner import planner_report_source
    from reports.models import Report

    if Report.objects.count() < rows:
        print(f"reports app present but holds fewer than {rows:,} reports; "
              "run reports_generate_synthetic --target first. Using the scratch table.")
        return None
    return layer, planner_report_source()


def python_page(layer: Layer, limit: int, offset: int) -> str:
    """The reference: rows to dicts to JSON in Python (as the peers do)."""
    sql, params = layer.table_sql(None)
    fields = layer.fields
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT q.id, ST_AsGeoJSON(q.geom, 7), {', '.join('q.' + f for f in fields)} "
                       f"FROM ({sql}) q ORDER BY q.id LIMIT %s OFFSET %s", [*params, limit, offset])
        features = [{"type": "Feature", "id": str(row[0]), "geometry": json.loads(row[1]),
                     "properties": {name: (value.isoformat() if hasattr(value, "isoformat") else value)
                                    for name, value in zip(fields, row[2:])}}
                    for row in cursor.fetchall()]
    return json.dumps({"type": "FeatureCollection", "features": features})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]

    found = reports_source(args.rows)
    layer, source = found if found else scratch_source(args.rows)
    print(f"layer: {layer.id} ({'reports app' if found else 'scratch table'})")
    client = Client()
    random.seed(5)

    # Items pages of 1,000: (a) from a random starting id, following `next`
    # links (keyset, what GDAL/QGIS do); (b) at random offsets below 50,000.
    url = f"/ogc/collections/{layer.id}/items?limit=1000"
    client.get(url)

    def random_after():
        if layer.id_type == "uuid":
            import uuid
            return str(uuid.UUID(int=random.getrandbits(128) >> 1))
        return str(random.randrange(0, args.rows // 2))

    times = []
    next_url = None
    for i in range(args.pages):
        if i % 10 == 0 or next_url is None:
            next_url = f"{url}&after={random_after()}"
        started = time.perf_counter()
        response = client.get(next_url)
        times.append(time.perf_counter() - started)
        doc = json.loads(response.content)
        assert response.status_code == 200 and doc["numberReturned"] == 1000, response.content[:300]
        next_url = next(ln["href"] for ln in doc["links"] if ln["rel"] == "next").replace("http://testserver", "")
    p50, p99 = statistics.median(times), _percentile(times, 99)
    offset_times = []
    for _ in range(max(10, args.pages // 3)):
        offset = random.randrange(0, min(50_000, args.rows - 1000), 1000)
        started = time.perf_counter()
        response = client.get(f"{url}&offset={offset}")
        offset_times.append(time.perf_counter() - started)
        assert response.status_code == 200 and json.loads(response.content)["numberReturned"] == 1000
    print(f"OGC items page of 1,000 following next links (HTTP view, in-process, {len(times)} pages): "
          f"p50 {_ms(p50)}, p99 {_ms(p99)}; by offset < 50,000: p50 {_ms(statistics.median(offset_times))}, "
          f"p99 {_ms(_percentile(offset_times, 99))}")
    ref = []
    first = []
    for _ in range(10):
        started = time.perf_counter()
        python_page(layer, 1000, 0)
        ref.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.get(url)
        first.append(time.perf_counter() - started)
    ref_p50, first_p50 = statistics.median(ref), statistics.median(first)
    print(f"reference: first page built in Python (SQL rows -> dicts -> json.dumps, no HTTP): "
          f"p50 {_ms(ref_p50)}; the same page through the view: p50 {_ms(first_p50)} "
          f"(ratio {ref_p50 / first_p50:.1f}x)")

    # A bbox query: ~2.2 km x 2.2 km around the densest desa point.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ST_X(geom), ST_Y(geom) FROM ({layer.table_sql(None)[0]}) q ORDER BY id LIMIT 1",
                       layer.table_sql(None)[1])
        x, y = cursor.fetchone()
    bbox = f"{x - 0.01},{y - 0.01},{x + 0.01},{y + 0.01}"
    client.get(f"{url}&bbox={bbox}")
    times, returned = [], 0
    for _ in range(20):
        started = time.perf_counter()
        response = client.get(f"{url}&bbox={bbox}")
        times.append(time.perf_counter() - started)
        returned = json.loads(response.content)["numberReturned"]
    print(f"bbox query (0.02 deg box, limit 1,000, {returned} returned): p50 {_ms(statistics.median(times))}, "
          f"max {_ms(max(times))}")

    # Full GeoJSON export through the streaming generator.
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    total = 0
    for chunk in exports.geojson_chunks(layer=layer):
        total += len(chunk)
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"full GeoJSON export: {total / 1e6:.0f} MB in {elapsed:.1f} s ({total / 1e6 / elapsed:.0f} MB/s); "
          f"peak RSS of the process {rss_after:.0f} MB (before the export {rss_before:.0f} MB)")

    # All-desa statistics by category.
    planner.area_statistics(source=source, level="desa", group_by=["category"])
    times = []
    for _ in range(5):
        started = time.perf_counter()
        rows = planner.area_statistics(source=source, level="desa", group_by=["category"])
        times.append(time.perf_counter() - started)
    print(f"all-desa statistics by category ({len(rows)} cells): p50 {_ms(statistics.median(times))}, "
          f"max {_ms(max(times))}")
    started = time.perf_counter()
    rows = planner.area_statistics(source=source, level="kecamatan", group_by=["category", "period"], period="month")
    print(f"kecamatan x category x month statistics ({len(rows)} cells): {_ms(time.perf_counter() - started)}")


if __name__ == "__main__":
    main()
