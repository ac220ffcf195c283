"""The service's queries on the province schema, each scoped to one regency
where the product allows it (so that Citus routes it to one shard), and the
province-wide ones that fan out by design.

Every function takes a psycopg connection (or cursor-providing object) and plain
values; `sql_of(name)` gives the statement text for EXPLAIN in the tests.
Times are passed in (never read from the clock here).
"""
from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

# name -> (SQL, description). %(name)s placeholders.
SQL = {
    "regency_at": (
        "SELECT regency_code FROM prov_regency_part "
        "WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) "
        "ORDER BY regency_code LIMIT 1",
        "point -> regency (reference table of subdivided outlines)"),
    "desa_at": (
        "SELECT desa_code FROM prov_desa_part "
        "WHERE regency_code = %(regency)s AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)) "
        "ORDER BY desa_code LIMIT 1",
        "point -> desa within the regency"),
    "routing": (
        "SELECT agency FROM prov_routing_rule WHERE regency_code = %(regency)s AND category_id = %(category)s",
        "category -> the regency's agency"),
    "insert_report": (
        "INSERT INTO prov_report (regency_code, tracking_code, category_id, desa_code, agency, description, "
        "location, created_at) VALUES (%(regency)s, %(tracking)s, %(category)s, %(desa)s, %(agency)s, "
        "%(description)s, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(at)s) RETURNING id",
        "insert the report"),
    "insert_event": (
        "INSERT INTO prov_report_event (regency_code, report_id, at, kind, note) "
        "VALUES (%(regency)s, %(report_id)s, %(at)s, %(kind)s, %(note)s)",
        "insert an event of the report"),
    "queue": (
        "SELECT id, tracking_code, category_id, desa_code, status, created_at FROM prov_report "
        "WHERE regency_code = %(regency)s AND agency = %(agency)s AND status IN ('baru', 'diproses') "
        "ORDER BY created_at, id LIMIT 50",
        "an agency's queue, oldest first"),
    "nearby": (
        "SELECT id, tracking_code, status FROM prov_report "
        "WHERE regency_code = %(regency)s "
        "AND location && ST_Expand(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), 0.01) "
        "AND ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, 1000) "
        "ORDER BY location <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) LIMIT 20",
        "reports within 1 km of a field crew"),
    "tracking": (
        "SELECT id, status, category_id, desa_code, created_at FROM prov_report "
        "WHERE regency_code = %(regency)s AND tracking_code = %(tracking)s",
        "the public tracking page (the code carries the regency)"),
    "timeline": (
        "SELECT at, kind, note FROM prov_report_event "
        "WHERE regency_code = %(regency)s AND report_id = %(report_id)s ORDER BY at, id",
        "a report's timeline"),
    "tile": (
        # MATERIALIZED: over several regencies, the rows come from each shard and the
        # tile is assembled once on the coordinator (ST_AsMVT does not combine across
        # shards); over one regency the whole statement is one router query.
        "WITH t AS MATERIALIZED (SELECT id, status, category_id, ST_AsMVTGeom(ST_Transform(location, 3857), "
        "ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom FROM prov_report "
        "WHERE regency_code = ANY(%(regencies)s) "
        "AND location && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4326)) "
        "SELECT ST_AsMVT(t, 'reports', 4096, 'geom') FROM t",
        "a vector tile of the reports of the regencies it touches"),
    "tile_regencies": (
        "SELECT DISTINCT regency_code FROM prov_regency_part "
        "WHERE geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4326) "
        "ORDER BY regency_code",
        "which regencies a tile touches (reference table)"),
    "province_counts": (
        "SELECT regency_code, status, count(*) FROM prov_report GROUP BY regency_code, status",
        "the province dashboard's aggregate (fans out by design)"),
}


def sql_of(name: str) -> str:
    return SQL[name][0]


def _one(cur, name: str, params: dict):
    cur.execute(sql_of(name), params)
    row = cur.fetchone()
    return row[0] if row else None


def tracking_code_new(regency: str) -> str:
    """The regency travels in the code (61.12-K7Q2M9XA), so tracking is routed."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"{regency}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def regency_of_tracking(code: str) -> str:
    return code.split("-", 1)[0]


@dataclass
class Submitted:
    id: int
    regency: str
    tracking_code: str
    desa: str | None
    agency: str | None


class OutsideProvince(ValueError):
    pass


def submit(conn, *, lon: float, lat: float, category: int, description: str, at: datetime.datetime,
           regency: str | None = None) -> Submitted:
    """Lookup (regency, then desa) + routing + insert of the report and its first event, one transaction.

    Every statement after the regency lookup carries the regency key, so on
    Citus the transaction touches one shard group (one worker).
    """
    with conn.cursor() as cur:
        regency = regency or _one(cur, "regency_at", {"lon": lon, "lat": lat})
        if regency is None:
            conn.rollback()
            raise OutsideProvince(f"({lon}, {lat}) is in no loaded regency")
        desa = _one(cur, "desa_at", {"regency": regency, "lon": lon, "lat": lat})
        agency = _one(cur, "routing", {"regency": regency, "category": category})
        tracking = tracking_code_new(regency)
        report_id = _one(cur, "insert_report", {
            "regency": regency, "tracking": tracking, "category": category, "desa": desa, "agency": agency,
            "description": description, "lon": lon, "lat": lat, "at": at})
        cur.execute(sql_of("insert_event"), {"regency": regency, "report_id": report_id, "at": at,
                                             "kind": "submitted", "note": ""})
    conn.commit()
    return Submitted(report_id, regency, tracking, desa, agency)


def tile(conn, *, z: int, x: int, y: int) -> bytes:
    """One tile: the regencies it touches first (reference table), then the reports of
    only those; a tile inside one regency (most tiles at z >= 9) is a router query."""
    with conn.cursor() as cur:
        cur.execute(sql_of("tile_regencies"), {"z": z, "x": x, "y": y})
        regencies = [r[0] for r in cur.fetchall()]
        body = bytes(_one(cur, "tile", {"z": z, "x": x, "y": y, "regencies": regencies}) or b"") if regencies else b""
    conn.commit()
    return body


def dashboard_refresh(conn, *, at: datetime.datetime) -> int:
    """Recompute the province view ahead (fan-out aggregate) into its reference table."""
    with conn.cursor() as cur:
        cur.execute(sql_of("province_counts"))
        rows = cur.fetchall()
        cur.execute("DELETE FROM prov_dashboard")
        cur.executemany("INSERT INTO prov_dashboard (regency_code, status, reports, refreshed_at) "
                        "VALUES (%s, %s, %s, %s)", [(r, s, n, at) for r, s, n in rows])
    conn.commit()
    return len(rows)
