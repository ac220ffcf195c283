"""Load West Kalimantan's real boundaries (../shared/data/kalbar) into the
province schema (tenancy.schema): regency outlines (reference), desa and their
subdivided parts (distributed by regency), the categories of the RT Online
taxonomy, holidays, and each regency's routing rules from the agency template
(category -> the regency's own Dinas PUPR, Dinkes, BPBD, ...).

Idempotent: a regency already loaded is skipped. Works on Citus and on one
PostgreSQL alike (plain INSERTs; Citus routes each row to its shard).
"""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

from common.workdays import _holidays_for
from reports.taxonomy import CATEGORIES

REGENCIES = ["61.01", "61.02", "61.03", "61.04", "61.05", "61.06", "61.07", "61.08", "61.09", "61.10",
             "61.11", "61.12", "61.71", "61.72"]
PART_VERTICES = 64  # as the geo app subdivides desa for lookup


def default_data_dir() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "kalbar"


def _features(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def load_reference(conn, *, holiday_years: Iterable[int] = (2026,)) -> None:
    with conn.cursor() as cur:
        for i, row in enumerate(CATEGORIES, start=1):
            cur.execute("INSERT INTO prov_category (id, code, name, default_agency) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (id) DO NOTHING", [i, row[0], row[1], row[7] or "diskominfo"])
        for year in holiday_years:
            for day, name in sorted(_holidays_for(year).items()):
                cur.execute("INSERT INTO prov_holiday (day, name) VALUES (%s, %s) ON CONFLICT (day) DO NOTHING",
                            [day, name])
    conn.commit()


def load_regencies(conn, *, codes: Iterable[str] | None = None, data_dir: Path | None = None) -> dict:
    """Load the given regencies (default all 14). Returns counts of what was added."""
    data_dir = Path(data_dir or default_data_dir())
    wanted = list(codes or REGENCIES)
    unknown = sorted(set(wanted) - set(REGENCIES))
    if unknown:
        raise ValueError(f"not a kabupaten/kota of West Kalimantan: {', '.join(unknown)}")
    load_reference(conn)
    counts = {"regency": 0, "regency_part": 0, "desa": 0, "desa_part": 0, "routing_rule": 0, "skipped": 0}
    with conn.cursor() as cur:
        cur.execute("SELECT code FROM prov_regency")
        present = {r[0] for r in cur.fetchall()}
    todo = [c for c in wanted if c not in present]
    counts["skipped"] = len(wanted) - len(todo)
    if not todo:
        return counts
    names = {}
    with (data_dir / "kalbar_wilayah_codes.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            names[row["code"]] = row["name"]
    regencies = {f["properties"]["code"]: f for f in _features(data_dir / "kalbar_kabupaten_from_desa.geojson")}
    desa_by_regency: dict[str, list[dict]] = {}
    for f in _features(data_dir / "kalbar_desa.geojson"):
        desa_by_regency.setdefault(f["properties"]["code"][:5], []).append(f)
    with conn.cursor() as cur:
        cur.execute("SELECT id, default_agency FROM prov_category ORDER BY id")
        categories = cur.fetchall()
        for code in todo:
            feature = regencies[code]
            geojson = json.dumps(feature["geometry"])
            cur.execute("INSERT INTO prov_regency (code, name, area_km2, outline) "
                        "SELECT %s, %s, ST_Area(g::geography) / 1e6, g "
                        "FROM (SELECT ST_Multi(ST_GeomFromGeoJSON(%s)) AS g) s", [code, names[code], geojson])
            cur.execute("INSERT INTO prov_regency_part (regency_code, geom) "
                        "SELECT %s, (ST_Dump(ST_Subdivide(outline, %s))).geom FROM prov_regency WHERE code = %s",
                        [code, PART_VERTICES, code])
            counts["regency"] += 1
            counts["regency_part"] += cur.rowcount
            rows = json.dumps([{"code": f["properties"]["code"], "name": f["properties"]["name"],
                                "geom": f["geometry"]} for f in desa_by_regency.get(code, [])])
            cur.execute("INSERT INTO prov_desa (regency_code, code, name, area_km2) "
                        "SELECT %s, d->>'code', d->>'name', ST_Area(ST_GeomFromGeoJSON(d->'geom')::geography) / 1e6 "
                        "FROM jsonb_array_elements(%s::jsonb) d", [code, rows])
            counts["desa"] += cur.rowcount
            cur.execute("INSERT INTO prov_desa_part (regency_code, desa_code, geom) "
                        "SELECT %s, d->>'code', (ST_Dump(ST_Subdivide(ST_GeomFromGeoJSON(d->'geom'), %s))).geom "
                        "FROM jsonb_array_elements(%s::jsonb) d", [code, PART_VERTICES, rows])
            counts["desa_part"] += cur.rowcount
            for category_id, agency in categories:
                cur.execute("INSERT INTO prov_routing_rule (regency_code, category_id, agency) VALUES (%s, %s, %s)",
                            [code, category_id, f"{code}/{agency}"])
                counts["routing_rule"] += 1
        conn.commit()
        for table in ("prov_regency", "prov_regency_part", "prov_desa", "prov_desa_part", "prov_routing_rule"):
            cur.execute(f"ANALYZE {table}")
    conn.commit()
    return counts

