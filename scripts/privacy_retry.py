"""Re-try every leak of issue 16 (items 1-8) the way the issue describes it,
over HTTP against a running server with the demo data and accounts
(`manage.py demo_load`; password demo-kuburaya-2026).

    .venv/bin/python scripts/privacy_retry.py http://127.0.0.1:8646

Prints each item, what was tried and the result (PASS / FAIL), and exits 1
when any check fails. It writes through the public API like an adversary
would (a confidential report, a replayed client UUID, a self-registered
business, formula-like text), so run it on a demo database, not production.
"""
import csv
import io
import math
import re
import sys
import uuid

import mapbox_vector_tile
import morecantile
import requests

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8646").rstrip("/")
PASSWORD = "demo-kuburaya-2026"
GRID = 0.0005            # common.publication.PUBLIC_GRID_DEG
MIN_DISTANCE_M = 11.0    # tests/privacy: no published point closer than this to a captured one
TMS = morecantile.tms.get("WebMercatorQuad")
NUMBER = re.compile(r"-?\d{1,3}\.\d{3,}")
RESULTS: list[tuple[str, bool, str]] = []


def check(item: str, ok: bool, detail: str) -> None:
    RESULTS.append((item, ok, detail))
    print(f"  [{'PASS' if ok else 'FAIL'}] {detail}")


def meters(lon1, lat1, lon2, lat2) -> float:
    k = 111_320.0
    return math.hypot((lon1 - lon2) * k * math.cos(math.radians(lat1)), (lat1 - lat2) * k)


def close_points(body: str, lon: float, lat: float) -> list[tuple[float, float]]:
    """Coordinate pairs in a text answer (lon,lat or lat,lon) within MIN_DISTANCE_M of (lon, lat)."""
    numbers = [float(n) for n in NUMBER.findall(body)]
    out = []
    for a, b in zip(numbers, numbers[1:]):
        pair = (a, b) if 108.5 < a < 110.5 and -1.5 < b < 0.5 else (b, a) if -1.5 < a < 0.5 and 108.5 < b < 110.5 else None
        if pair and meters(pair[0], pair[1], lon, lat) < MIN_DISTANCE_M:
            out.append(pair)
    return out


def session(username: str | None = None) -> requests.Session:
    s = requests.Session()
    if username:
        r = s.post(f"{BASE}/api/v1/auth/token/", data={"username": username, "password": PASSWORD})
        r.raise_for_status()
        s.headers["Authorization"] = f"Token {r.json()['token']}"
    return s


def submit(s: requests.Session, **body) -> requests.Response:
    body.setdefault("id", str(uuid.uuid4()))
    return s.post(f"{BASE}/api/v1/reports/", json=body)


def tile_features(s, layer: str, z: int, x: int, y: int, query: str = "") -> list[tuple[float, float, dict]]:
    r = s.get(f"{BASE}/tiles/{layer}/{z}/{x}/{y}.mvt{query}")
    if r.status_code == 204 or not r.content:
        return []
    r.raise_for_status()
    out = []
    bounds = TMS.xy_bounds(morecantile.Tile(x, y, z))
    for data in mapbox_vector_tile.decode(r.content, default_options={"y_coord_down": True}).values():
        extent = data.get("extent", 4096)
        for f in data["features"]:
            px, py = f["geometry"]["coordinates"]
            if not (0 <= px < extent and 0 <= py < extent):
                continue
            mx = bounds.left + (bounds.right - bounds.left) * px / extent
            my = bounds.top - (bounds.top - bounds.bottom) * py / extent
            lon = mx / 6378137.0 * 180 / math.pi
            lat = (2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2) * 180 / math.pi
            out.append((lon, lat, f["properties"]))
    return out


def main() -> int:
    anon = session()
    warga = session("warga")
    rt = session("ketua_rt")
    # Off the public grid (0.0005 deg) by 0.00021 / 0.00028 deg: 23-31 m from any grid node.
    lon, lat = 109.43421, -0.06147

    print("1. Confidential report, exact point (Open311 list/by id, report detail, candidates)")
    secret_desc = "rahasia KANARI-1 rumah saya, hubungi 081234509876"
    r = submit(warga, category="flood", lon=lon, lat=lat, description=secret_desc, confidential=True,
               device_secret="retry-device-1")
    check("1", r.status_code == 201, f"confidential P0 report filed as warga: HTTP {r.status_code}")
    conf_id = r.json().get("id") if r.status_code == 201 else None
    for path in ("/open311/v2/requests.json", "/open311/v2/requests.xml",
                 "/open311/v2/requests.json?service_code=flood", f"/open311/v2/requests/{conf_id}.json",
                 f"/open311/v2/requests/{conf_id}.xml", f"/api/v1/reports/{conf_id}/",
                 f"/api/v1/reports/{conf_id}/timeline/", f"/api/v1/reports/candidates?category=flood&lon={lon}&lat={lat}"):
        resp = anon.get(BASE + path)
        body = resp.text
        leaked = (conf_id in body) or "KANARI-1" in body or bool(close_points(body, lon, lat))
        check("1", not leaked and resp.status_code < 500,
              f"anonymous GET {path}: HTTP {resp.status_code}, report id/text/point {'FOUND' if leaked else 'absent'}")

    print("2. Confidential reports in low-zoom tiles (clusters count only what the point tiles show)")
    for query in ("", "?status=received"):
        for z in range(6, 13):
            t = TMS.tile(lon, lat, z)
            feats = tile_features(anon, "reports", z, t.x, t.y, query)
            total = sum(int(p.get("count", 1)) for _x, _y, p in feats)
            b = TMS.bounds(t)
            status = "&status=received" if query else ""
            items = anon.get(f"{BASE}/ogc/collections/reports/items?limit=10000{status}"
                             f"&bbox={b.left},{b.bottom},{b.right},{b.top}").json()
            public = len(items["features"])
            lone = [p for x, y, p in feats if int(p.get("count", 1)) == 1 and meters(x, y, lon, lat) < 60
                    and not any(meters(*f["geometry"]["coordinates"], x, y) < 60 for f in items["features"])]
            check("2", total == public and not lone,
                  f"z{z} tile {t.x}/{t.y}{query}: clusters count {total}, public points in the tile {public}"
                  f"{', a lone cluster at the confidential point' if lone else ''}")

    print("3. Suppressed counts recovered by differencing (/api/v1/reports/counts/)")
    for bad in ("status", "kecamatan,kecamatan", "desa,status", "desa,kecamatan", "x"):
        resp = anon.get(f"{BASE}/api/v1/reports/counts/", params={"group_by": bad})
        check("3", resp.status_code == 400 and resp.json().get("code") == "invalid",
              f"group_by={bad}: HTTP {resp.status_code} {resp.json().get('code')}")
    resp = anon.get(f"{BASE}/api/v1/reports/counts/", params={"group_by": "kecamatan", "status": "in_progress"})
    check("3", resp.status_code == 400, f"status filter (total minus status split): HTTP {resp.status_code}")
    groupings = ("desa", "kecamatan", "category", "month", "desa,category", "kecamatan,category",
                 "category,month", "desa,month", "kecamatan,month")
    published = {}
    for g in groupings:
        rows = anon.get(f"{BASE}/api/v1/reports/counts/", params={"group_by": g}).json()
        published[g] = rows
        odd = [r for r in rows if r["count"] % 5]
        check("3", not odd, f"group_by={g}: {len(rows)} cells, {len(odd)} not a multiple of 5")

    def key(row, field):
        v = row[field]
        return v["code"] if isinstance(v, dict) else v

    by_kec_cat = {(key(r, "kecamatan"), key(r, "category")): r["count"] for r in published["kecamatan,category"]}
    desa_cat = published["desa,category"]
    kec_of_desa = {}
    for row in anon.get(f"{BASE}/ogc/collections/desa/items?limit=1000").json()["features"]:
        props = row["properties"]
        kec_of_desa[props.get("code") or row["id"]] = props.get("kecamatan_code") or props.get("parent_code")
    sums = {}
    for r in desa_cat:
        k = (kec_of_desa.get(key(r, "desa")), key(r, "category"))
        sums[k] = sums.get(k, 0) + r["count"]
    diffs = [by_kec_cat[k] - sums.get(k, 0) for k in by_kec_cat]
    check("3", all(d % 5 == 0 for d in diffs),
          f"kecamatan x category minus the sum of its desa: {len(diffs)} differences, all multiples of 5 "
          f"(sums of rounded kecamatan-only cells, never a raw count)")
    jumlah = anon.get(f"{BASE}/peta/jumlah.json")
    values = [v for level in jumlah.json().values() if isinstance(level, dict)
              for v in level.values() if isinstance(v, int)] if jumlah.status_code == 200 else []
    check("3", jumlah.status_code == 200 and all(int(v) % 5 == 0 for v in values),
          f"/peta/jumlah.json (dashboard map): HTTP {jumlah.status_code}, {len(values)} counts, all multiples of 5")
    before = {g: {tuple(key(r, f) for f in g.split(",")): r["count"] for r in published[g]} for g in ("desa,category",)}
    r = submit(warga, category="death", lon=lon, lat=lat, description="KANARI-3 satu kematian")
    after = anon.get(f"{BASE}/api/v1/reports/counts/", params={"group_by": "desa,category"}).json()
    after = {(key(x, "desa"), key(x, "category")): x["count"] for x in after}
    changed = {k: after.get(k, 0) - before["desa,category"].get(k, 0) for k in set(after) | set(before["desa,category"])
               if after.get(k, 0) != before["desa,category"].get(k, 0)}
    check("3", all(v % 5 == 0 for v in changed.values()),
          f"live minus snapshot after filing one death report (HTTP {r.status_code}): "
          f"{len(changed)} changed cells, every change a multiple of 5")
    ogc_cells = anon.get(f"{BASE}/ogc/collections/report-counts/items?limit=10000").json()["features"]
    check("3", all(f["properties"]["count"] % 5 == 0 for f in ogc_cells),
          f"OGC report-counts: {len(ogc_cells)} base cells, all rounded to 5 (no '1' beside a '<5')")

    print("4. Planner hotspots (exact DBSCAN centroids, window widened by one report)")
    planner = session("perencana")
    for category in ("health-visit", "flood", "road-damage"):
        results = []
        # Windows one second apart (one more report inside): whole months only.
        for start, end in (("2024-01-01T00:00:00+07:00", "2026-12-07T00:00:00+07:00"),
                           ("2024-01-01T00:00:00+07:00", "2026-12-07T00:00:01+07:00"),
                           ("2023-12-31T23:59:59+07:00", "2026-12-06T23:59:59+07:00")):
            resp = planner.get(f"{BASE}/api/v1/planner/hotspots",
                               params={"category": category, "eps_m": 1000, "min_points": 5,
                                       "start": start, "end": end})
            results.append(resp.json() if resp.status_code == 200 else None)
        same = results[0] is not None and results[0] == results[1] == results[2]
        feats = results[0]["features"] if results[0] else []
        on_grid = all(abs(v / GRID - round(v / GRID)) < 1e-6 for f in feats for v in f["properties"]["centroid"])
        rounded = all(f["properties"]["count"] % 5 == 0 for f in feats)
        check("4", same and on_grid and rounded,
              f"hotspots {category}: {len(feats)} clusters; windows differing by one second identical: {same}; "
              f"centroids on the {GRID} deg grid: {on_grid}; counts multiples of 5: {rounded}")

    print("5. Personal data in bulk (Open311 descriptions)")
    marker = uuid.uuid4().hex[:8]
    desc = (f"KANARI5{marker} jalan berlubang, hubungi 0812-3456-{marker[:4].translate(str.maketrans('abcdef', '123456'))}"
            f" atau budi.{marker}@contoh.id NIK 6112010101900{marker[:3].translate(str.maketrans('abcdef', '123456'))}"
            f" nopol KB 1234 {marker[:2].upper().translate(str.maketrans('0123456789', 'ABCDEFGHIJ'))}")
    r = submit(warga, category="flood", lon=lon + 0.002, lat=lat + 0.002, description=desc)
    listed = anon.get(f"{BASE}/open311/v2/requests.json").json()
    xml = anon.get(f"{BASE}/open311/v2/requests.xml").text
    bulk = "\n".join(r.get("description") or "" for r in listed)
    bulk += "\n".join(re.findall(r"<description>(.*?)</description>", xml, flags=re.S))
    print(f"  ({len(listed)} requests listed; checking their descriptions)")
    phones = re.findall(r"(?<![\w-])(?:\+62|0)8\d[\d\- ]{7,12}\d(?![\w-])", bulk)
    emails = re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", bulk)
    niks = re.findall(r"(?<!\d)\d{16}(?!\d)", bulk)
    check("5", r.status_code == 201 and f"KANARI5{marker}" in bulk and not (phones or emails or niks),
          f"Open311 list (json+xml): our new P0 report listed: {f'KANARI5{marker}' in bulk}; phone numbers "
          f"{len(phones)}, e-mail addresses {len(emails)}, 16-digit numbers {len(niks)}")

    print("6. Tracking code by replay (another account posts the same client UUID)")
    rid = str(uuid.uuid4())
    first = submit(warga, id=rid, category="flood", lon=lon + 0.003, lat=lat, description="KANARI6",
                   device_secret="dev-a")
    code = first.json().get("tracking_code") if first.status_code == 201 else None
    for who, s, secret in (("another account (ketua_rt)", rt, "dev-a"), ("anonymous, other device", anon, "dev-b"),
                           ("anonymous, no device secret", anon, "")):
        resp = submit(s, id=rid, category="flood", lon=lon + 0.003, lat=lat, description="KANARI6",
                      device_secret=secret)
        leaked = bool(code) and code in resp.text
        check("6", resp.status_code == 409 and not leaked,
              f"replay by {who}: HTTP {resp.status_code} {resp.json().get('code')}, tracking code "
              f"{'RETURNED' if leaked else 'not returned'}")
    again = submit(warga, id=rid, category="flood", lon=lon + 0.003, lat=lat, description="KANARI6",
                   device_secret="dev-a")
    check("6", again.status_code in (200, 201) and code and again.json().get("tracking_code") == code,
          f"retry by the same account: HTTP {again.status_code}, original tracking code returned")

    print("7. Unverified businesses published (self-registered account)")
    verifier = session("verifikator_umkm")
    made = {}
    for label, consent in (("listed", True), ("unlisted", False)):
        name = f"KANARIUSAHA7{label}{marker}"
        resp = warga.post(f"{BASE}/api/v1/businesses/", json={
            "name": name, "lon": lon + 0.01, "lat": lat + 0.01, "kbli_codes": ["10794"], "is_home_based": False,
            "nib": "9" + str(uuid.uuid4().int)[:12], "listing_consent": consent})
        check("7", resp.status_code == 201, f"business '{label}' created by warga: HTTP {resp.status_code}")
        made[label] = (resp.json()["id"], name)

    def public_hits(business_id, name):
        hits = []
        t = TMS.tile(lon + 0.01, lat + 0.01, 15)
        probes = {
            "detail": f"/api/v1/businesses/{business_id}/", "search": f"/api/v1/businesses/?q={name}",
            "OGC items": f"/ogc/collections/businesses/items?limit=10000",
            "CSV export": "/api/v1/layers/businesses/download.csv",
            "GeoJSON export": "/api/v1/layers/businesses/download.geojson",
        }
        for what, path in probes.items():
            resp = anon.get(BASE + path)
            if resp.status_code == 200 and name in resp.text:
                hits.append(what)
        found = anon.get(f"{BASE}/peta/cari", params={"q": name}).json()["results"]   # echoes the query
        if any(r.get("name") == name for r in found):
            hits.append("portal search")
        if any(p.get("id") == business_id or p.get("name") == name
               for _x, _y, p in tile_features(anon, "businesses", 15, t.x, t.y)):
            hits.append("tiles z15")
        return hits

    for label, (business_id, name) in made.items():
        hits = public_hits(business_id, name)
        check("7", not hits, f"pending '{label}' business: in {hits or 'no public output'}")
    for label, (business_id, name) in made.items():
        resp = verifier.post(f"{BASE}/api/v1/businesses/{business_id}/verification/",
                             json={"decision": "verified", "note": "uji"})
        hits = public_hits(business_id, name)
        expect = label == "listed"
        check("7", resp.status_code == 200 and (bool(hits) == expect),
              f"after verification, '{label}' business (listing consent {expect}): in {hits or 'no public output'}")
    detail = anon.get(f"{BASE}/api/v1/businesses/{made['listed'][0]}/").json()
    check("7", detail.get("properties", {}).get("nib") is None and detail["properties"]["has_nib"] is True,
          "the verified business: NIB withheld (no consent to publish numbers), only has_nib")

    print("8. CSV formula injection (businesses export, DPO access log)")
    evil = f'=HYPERLINK("http://contoh.invalid/{marker}","klik")'
    resp = warga.post(f"{BASE}/api/v1/businesses/", json={
        "name": evil, "lon": lon + 0.011, "lat": lat + 0.011, "kbli_codes": ["47111"], "listing_consent": True})
    if resp.status_code == 201:
        verifier.post(f"{BASE}/api/v1/businesses/{resp.json()['id']}/verification/", json={"decision": "verified"})
    text = anon.get(f"{BASE}/api/v1/layers/businesses/download.csv").content.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row if "HYPERLINK" in c and marker in c]
    check("8", bool(cells) and all(not c.startswith(("=", "+", "-", "@")) for c in cells),
          f"businesses CSV: cells with our formula {cells[:1]}")
    sub, staff_name = None, None
    for category in ("health-visit", "flood"):
        r = submit(warga, category=category, lon=lon, lat=lat, description="KANARI8",
                   subject_name="Pasien Uji", subject_age=70)
        rid8 = r.json().get("id") if r.status_code == 201 else None
        for staff_name in ("staf_dinkes", "staf_pkm_sungai_durian", "staf_bpbd", "staf_pupr", "koordinator"):
            sub = session(staff_name).get(f"{BASE}/api/v1/reports/{rid8}/subject/",
                                          params={"reason": "=1+2+3 konfirmasi"})
            if sub.status_code == 200:
                break
        if sub is not None and sub.status_code == 200:
            break
    dpo = session("dpo")
    log = dpo.get(f"{BASE}/api/v1/reports/access-log/", params={"export": "csv"}).content.decode("utf-8-sig")
    reasons = [row[6] for row in csv.reader(io.StringIO(log)) if len(row) > 6 and "1+2+3 konfirmasi" in row[6]]
    check("8", sub.status_code == 200 and bool(reasons) and all(not c.startswith(("=", "+", "-", "@")) for c in reasons),
          f"DPO access-log CSV: subject read by {staff_name} with reason '=1+2+3 konfirmasi' (HTTP {sub.status_code}), "
          f"reason cells {reasons[:1]}")

    failed = [r for r in RESULTS if not r[1]]
    print(f"\n{len(RESULTS) - len(failed)} of {len(RESULTS)} checks passed"
          + (f"; FAILED: {', '.join(sorted({r[0] for r in failed}))}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
