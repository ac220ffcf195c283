"""Regencies as tenants on Citus: the single-regency queries are router queries
(one task, on the worker that holds the regency's shard group), a province-wide
aggregate fans out to every shard, and distribution is a no-op on one PostgreSQL.
The plans are read from EXPLAIN on a real coordinator + 2 workers."""
import datetime
import json
import math
import re
from functools import lru_cache

import pytest
from shapely.geometry import shape

from common.citus import distribute
from tenancy import load, queries, schema

from .conftest import REGENCIES, SHARDS, citus_script

pytestmark = pytest.mark.citus

AT = datetime.datetime(2026, 12, 1, 2, 30, tzinfo=datetime.timezone.utc)
ROAD_DAMAGE = 8  # reports.taxonomy: the 8th category, default agency pupr


@lru_cache
def inside(code: str) -> tuple[float, float]:
    """A point inside a desa of the source file (not a guess)."""
    features = json.loads((load.default_data_dir() / "kalbar_desa.geojson").read_text())["features"]
    p = shape(next(f for f in features if f["properties"]["code"] == code)["geometry"]).representative_point()
    return p.x, p.y


def plan(conn, name: str, params: dict) -> str:
    with conn.cursor() as cur:
        cur.execute("EXPLAIN " + queries.sql_of(name), params)
        text = "\n".join(r[0] for r in cur.fetchall())
    conn.rollback()
    return text


def tasks(text: str) -> int:
    counts = re.findall(r"Task Count: (\d+)", text)
    assert len(counts) == 1, text
    return int(counts[0])


def nodes(text: str) -> set[str]:
    return set(re.findall(r"Node: host=\S+ port=(\d+)", text))


def test_the_script_is_idempotent(citus):
    again = citus_script("start")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr and "registered" not in again.stderr
    with citus.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_dist_node WHERE groupid > 0 AND isactive")
        assert cur.fetchone()[0] == 2
        cur.execute("SELECT extname FROM pg_extension ORDER BY 1")
        assert {"citus", "postgis"} <= {r[0] for r in cur.fetchall()}


def test_tables_are_reference_or_colocated_by_regency(citus):
    with citus.cursor() as cur:
        cur.execute("SELECT logicalrelid::text, partmethod, repmodel, colocationid FROM pg_dist_partition "
                    "WHERE logicalrelid::text LIKE 'prov_%'")
        rows = {r[0]: r[1:] for r in cur.fetchall()}
    assert {t for t, (m, r, _) in rows.items() if m == "n" and r == "t"} == set(schema.REFERENCE)
    distributed = {t: c for t, (m, _, c) in rows.items() if m == "h"}
    assert set(distributed) == {t for t, _, _ in schema.DISTRIBUTED}
    assert len(set(distributed.values())) == 1  # one co-location group: report, events, desa, rules
    # Re-running the schema step distributes nothing twice.
    assert schema.create(citus, shard_count=SHARDS) == []


def test_submission_lookup_routing_and_insert_are_single_shard(citus):
    lon, lat = inside("61.12.01.2001")
    regency = "61.12"
    steps = {
        "regency_at": {"lon": lon, "lat": lat},
        "desa_at": {"regency": regency, "lon": lon, "lat": lat},
        "routing": {"regency": regency, "category": ROAD_DAMAGE},
        "insert_report": {"regency": regency, "tracking": "61.12-TESTTEST", "category": ROAD_DAMAGE,
                          "desa": "61.12.01.2001", "agency": "61.12/pupr", "description": "", "lon": lon,
                          "lat": lat, "at": AT},
        "insert_event": {"regency": regency, "report_id": 1, "at": AT, "kind": "submitted", "note": ""},
    }
    worker_nodes = set()
    for name, params in steps.items():
        text = plan(citus, name, params)
        assert tasks(text) == 1, (name, text)
        if name != "regency_at":  # the reference table is read where the query runs
            worker_nodes |= nodes(text)
    assert len(worker_nodes) == 1, worker_nodes

    submitted = queries.submit(citus, lon=lon, lat=lat, category=ROAD_DAMAGE, description="Jalan berlubang",
                               at=AT)
    assert (submitted.regency, submitted.desa, submitted.agency) == ("61.12", "61.12.01.2001", "61.12/pupr")
    assert submitted.tracking_code.startswith("61.12-")
    with citus.cursor() as cur:
        cur.execute("SELECT kind FROM prov_report_event WHERE regency_code = %s AND report_id = %s",
                    [submitted.regency, submitted.id])
        assert [r[0] for r in cur.fetchall()] == ["submitted"]
        # The report and its event live on the same worker (co-located shards).
        cur.execute("SELECT DISTINCT nodeport FROM citus_shards WHERE shardid IN ("
                    "get_shard_id_for_distribution_column('prov_report', %(r)s::text), "
                    "get_shard_id_for_distribution_column('prov_report_event', %(r)s::text), "
                    "get_shard_id_for_distribution_column('prov_desa_part', %(r)s::text))", {"r": submitted.regency})
        assert len(cur.fetchall()) == 1
    citus.commit()


def test_operational_reads_of_one_regency_are_router_queries(citus):
    lon, lat = inside("61.71.05.1002")
    submitted = queries.submit(citus, lon=lon, lat=lat, category=ROAD_DAMAGE, description="", at=AT)
    assert submitted.regency == "61.71"
    z, x, y = 14, int((lon + 180) / 360 * 2 ** 14), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** 14)
    with citus.cursor() as cur:
        cur.execute(queries.sql_of("tile_regencies"), {"z": z, "x": x, "y": y})
        assert [r[0] for r in cur.fetchall()] == ["61.71"]  # this z14 tile lies inside Kota Pontianak
    citus.rollback()
    reads = {
        "queue": {"regency": "61.71", "agency": submitted.agency},
        "nearby": {"regency": "61.71", "lon": lon, "lat": lat},
        "tracking": {"regency": queries.regency_of_tracking(submitted.tracking_code),
                     "tracking": submitted.tracking_code},
        "timeline": {"regency": "61.71", "report_id": submitted.id},
        "tile": {"regencies": ["61.71"], "z": z, "x": x, "y": y},
    }
    seen = set()
    for name, params in reads.items():
        text = plan(citus, name, params)
        assert tasks(text) == 1, (name, text)
        seen |= nodes(text)
    assert len(seen) == 1
    assert len(queries.tile(citus, z=z, x=x, y=y)) > 0  # the report is in its tile


def test_province_views_fan_out(citus):
    assert tasks(plan(citus, "province_counts", {})) == SHARDS
    # A low-zoom tile touching several regencies runs on those regencies' shards only.
    lon, lat = inside("61.71.05.1002")
    z, x, y = 9, int((lon + 180) / 360 * 2 ** 9), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2 ** 9)
    with citus.cursor() as cur:
        cur.execute(queries.sql_of("tile_regencies"), {"z": z, "x": x, "y": y})
        regencies = [r[0] for r in cur.fetchall()]
    citus.rollback()
    assert regencies == ["61.12", "61.71"]  # Kota Pontianak and the regency around it
    text = plan(citus, "tile", {"regencies": regencies, "z": z, "x": x, "y": y})
    assert max(int(n) for n in re.findall(r"Task Count: (\d+)", text)) == 2, text
    queries.submit(citus, lon=lon, lat=lat, category=ROAD_DAMAGE, description="", at=AT)
    assert len(queries.tile(citus, z=z, x=x, y=y)) > 0
    refreshed = queries.dashboard_refresh(citus, at=AT)
    with citus.cursor() as cur:
        cur.execute("SELECT sum(reports), min(refreshed_at) FROM prov_dashboard")
        total, at = cur.fetchone()
        cur.execute("SELECT count(*) FROM prov_report")
        assert total == cur.fetchone()[0] and at == AT and refreshed >= 1
    citus.rollback()


def test_loaded_regencies_match_the_source(citus):
    with citus.cursor() as cur:
        cur.execute("SELECT regency_code, count(*) FROM prov_desa GROUP BY 1 ORDER BY 1")
        # kalbar README: desa with a polygon per regency.
        assert dict(cur.fetchall()) == {"61.12": 117, "61.71": 29, "61.72": 26}
        cur.execute("SELECT count(*) FROM prov_routing_rule")
        assert cur.fetchone()[0] == 22 * len(REGENCIES)
    citus.rollback()
    assert load.load_regencies(citus, codes=REGENCIES)["skipped"] == len(REGENCIES)
    with pytest.raises(ValueError, match="61.99"):
        load.load_regencies(citus, codes=["61.99"])


def test_distribution_is_a_no_op_on_one_postgresql(db):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE kr_citus_probe (regency_code text, id int)")
        assert distribute(cur, reference=["kr_citus_probe"], distributed=[("kr_citus_probe", "regency_code", None)]) == []


def test_distribute_migration_step_forwards_and_back(citus):
    from types import SimpleNamespace

    from common.citus import Distribute

    with citus.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS kr_probe_event, kr_probe_kind; "
                    "CREATE TABLE kr_probe_kind (id int PRIMARY KEY); "
                    "CREATE TABLE kr_probe_event (regency_code text, id int, PRIMARY KEY (regency_code, id))")
    citus.commit()
    step = Distribute(reference=["kr_probe_kind"], distributed=[("kr_probe_event", "regency_code", "prov_report")])
    assert step.deconstruct()[2] == {"reference": ["kr_probe_kind"],
                                     "distributed": [("kr_probe_event", "regency_code", "prov_report")]}
    editor = SimpleNamespace(connection=citus)
    step.database_forwards("tenancy", editor, None, None)
    citus.commit()
    with citus.cursor() as cur:
        cur.execute("SELECT logicalrelid::text, partmethod, colocationid = (SELECT colocationid FROM pg_dist_partition "
                    "WHERE logicalrelid = 'prov_report'::regclass) FROM pg_dist_partition "
                    "WHERE logicalrelid::text LIKE 'kr_probe_%' ORDER BY 1")
        assert cur.fetchall() == [("kr_probe_event", "h", True), ("kr_probe_kind", "n", False)]
    step.database_backwards("tenancy", editor, None, None)
    citus.commit()
    with citus.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'kr_probe_%'")
        assert cur.fetchone()[0] == 0
        cur.execute("DROP TABLE kr_probe_event, kr_probe_kind")
    citus.commit()
