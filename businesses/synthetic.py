"""Synthetic businesses for demos and benchmarks (is_synthetic=True).

Points cluster around desa centres (geo.selectors.desa_centroids), with more
businesses in desa close to Kota Pontianak (Sungai Raya, Sungai Ambawang,
Sungai Kakap border the city). Desa are assigned by the real lookup
(points_assign_desa); points that land outside coverage are moved back to
their desa centre. Rows are written with COPY: 100,000 take about a minute,
most of it the desa lookup.
"""
import datetime
import json
import math
import random
from collections.abc import Callable

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone

from geo.selectors import areas_list, desa_centroids, points_assign_desa
from businesses.policy import business_public_point

from .models import Business, BusinessConsent, Certificate, ScaleRule, Verification
from .scale import scale_classify

SRID = settings.GEO_STORAGE_SRID
PONTIANAK = (109.3425, -0.0263)  # Kota Pontianak centre (lon, lat)
CLUSTER_SIGMA_M = 700.0
CHUNK = 5000

PEOPLE = ["Bu Ani", "Pak Budi", "Mak Ijah", "Bang Hendra", "Kak Yanti", "Pak Rahmat", "Bu Siti", "Haji Ahmad",
          "Pak Syarif", "Uray Dian", "Utin Lina", "Koh Akiong", "Cik Aling", "Apheng", "Mas Joko", "Bu Dewi",
          "Pak Hasan", "Wak Ali", "Nurul", "Daeng Baso", "Pak Asep", "Bu Rina", "Dayang Sari", "Ko Ahian",
          "Pak Yusuf", "Bu Halimah", "Abang Long", "Mak Long", "Pak Ngah", "Cik Ani", "Pak Made", "Bu Tuti"]

# sector -> [(weight, kbli, name template, products)]; {p} a person, {d} the desa.
TEMPLATES = {
    "kuliner": [
        (5, "56102", "Warung Makan {p}", "nasi campur, ikan asam pedas, sayur pakis"),
        (3, "56103", "Bakso {p}", "bakso urat, mie ayam, es teh"),
        (3, "56303", "Kedai Kopi {d}", "kopi susu, kopi pancong, roti kaya"),
        (2, "56101", "Rumah Makan Padang {d}", "rendang, gulai, ayam pop"),
        (2, "56104", "Pisang Goreng {p}", "pisang goreng srikaya, cucur, tahu isi"),
        (1, "56304", "Es Tebu {p}", "air tebu, es kelapa muda, es cendol"),
        (1, "56210", "Catering {p}", "nasi kotak, tumpeng, kue basah"),
    ],
    "pangan_olahan": [
        (4, "10794", "Keripik {p}", "keripik pisang, keripik keladi, kerupuk ikan"),
        (3, "10710", "Roti dan Kue {p}", "roti manis, kue lapis, bingke"),
        (2, "10750", "Amplang {d}", "amplang ikan tenggiri, kerupuk basah"),
        (2, "10761", "Kopi Bubuk {d}", "kopi bubuk robusta, kopi liberika"),
        (1, "10722", "Gula Aren {p}", "gula merah, gula semut"),
        (1, "10391", "Tempe {p}", "tempe kedelai, tahu"),
        (1, "11040", "Minuman Lidah Buaya {d}", "nata de aloe, minuman lidah buaya"),
        (1, "10212", "Ikan Asin {p}", "ikan asin, ebi, terasi"),
    ],
    "perdagangan": [
        (6, "47111", "Toko Sembako {p}", "beras, minyak goreng, gula, telur"),
        (2, "47911", "Olshop {p}", "madu kelulut, kosmetik, makanan ringan"),
    ],
    "fashion": [
        (2, "14111", "Konveksi {p}", "baju kurung, seragam sekolah, jahit"),
        (2, "47711", "Butik {p}", "kain corak insang, baju muslim"),
    ],
    "kerajinan": [
        (2, "16292", "Anyaman {d}", "tikar pandan, bakul rotan, tas anyaman"),
        (1, "31001", "Mebel {p}", "lemari, kursi kayu, meja"),
        (1, "16293", "Ukiran {p}", "ukiran kayu, souvenir"),
    ],
    "pertanian": [
        (2, "01131", "Kebun Sayur {p}", "sawi, kangkung, bayam"),
        (1, "01262", "Sawit {p}", "tandan buah segar"),
        (1, "01291", "Kebun Karet {p}", "getah karet"),
    ],
    "perikanan": [
        (2, "03221", "Kolam Ikan {p}", "ikan lele, ikan nila, ikan patin"),
        (1, "03111", "Nelayan {d}", "ikan segar, udang, kepiting"),
    ],
    "jasa": [
        (3, "45405", "Bengkel Motor {p}", "servis motor, tambal ban, ganti oli"),
        (1, "45201", "Bengkel Mobil {p}", "servis mobil, spooring"),
        (1, "18111", "Percetakan {d}", "undangan, spanduk, fotokopi"),
    ],
}
SECTOR_WEIGHTS = {"kuliner": 30, "pangan_olahan": 18, "perdagangan": 22, "fashion": 7, "kerajinan": 5,
                  "pertanian": 6, "perikanan": 5, "jasa": 7}
FOOD_SECTORS = {"kuliner", "pangan_olahan"}

BUSINESS_COLUMNS = [
    "id", "name", "description", "products", "nib", "oss_risk", "kbli_codes", "kbli_edition", "sector",
    "is_food", "scale", "scale_rule", "scale_basis", "established_on", "contacts", "opening_hours", "location",
    "public_location", "public_location_exact", "numbers_public", "listing_public", "is_home_based", "desa_id", "kecamatan_id",
    "location_approximate", "status", "verification_status", "verified_at", "verification_note", "source",
    "is_synthetic", "created_at", "updated_at",
]


def _desa_weights(centres, rng) -> list[float]:
    weights = []
    for _code, lon, lat in centres:
        dx = (lon - PONTIANAK[0]) * 111.32 * math.cos(math.radians(lat))
        dy = (lat - PONTIANAK[1]) * 110.57
        km = math.hypot(dx, dy)
        # Peri-urban desa next to Pontianak carry most businesses.
        weights.append(1.0 + 12.0 * math.exp(-km / 12.0))
    return weights


def _figures(rng) -> tuple[int, int]:
    r = rng.random()
    if r < 0.90:
        capital = rng.randint(2, 900) * 1_000_000
    elif r < 0.98:
        capital = rng.randint(1_001, 4_900) * 1_000_000
    else:
        capital = rng.randint(5_001, 9_900) * 1_000_000
    return capital, int(capital * rng.uniform(0.8, 3.0))


def synthetic_count() -> int:
    return Business.objects.filter(is_synthetic=True).count()


def businesses_generate_synthetic(*, target: int, seed: int = 4,
                                  progress: Callable[[int], None] | None = None) -> int:
    """Top up to `target` synthetic businesses; returns how many were added."""
    missing = target - synthetic_count()
    if missing <= 0:
        return 0
    rng = random.Random(seed + synthetic_count())
    centres = desa_centroids()
    if not centres:
        raise RuntimeError("no desa boundaries loaded (run geo_load_kubu_raya --commit)")
    weights = _desa_weights(centres, rng)
    areas = {a.code: a for a in areas_list(level="desa")}
    areas_by_id = {a.id: a for a in areas.values()}
    desa_points = {code: (lon, lat) for code, lon, lat in centres}
    sectors, sector_w = zip(*SECTOR_WEIGHTS.items())
    now = timezone.now()
    added = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('businesses_business', 'id')")
        sequence = cursor.fetchone()[0]
    while added < missing:
        n = min(CHUNK, missing - added)
        picks = rng.choices(centres, weights=weights, k=n)
        lons, lats = [], []
        for _code, lon, lat in picks:
            # Offsets drawn in metres, turned into degrees only to place
            # synthetic points (no query measures anything in degrees).
            dx, dy = rng.gauss(0, CLUSTER_SIGMA_M), rng.gauss(0, CLUSTER_SIGMA_M)
            lats.append(lat + dy / 110_574)
            lons.append(lon + dx / (111_320 * math.cos(math.radians(lat))))
        assigned = points_assign_desa(lons=lons, lats=lats)
        rows, consents, certificates = [], [], []
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, n])
            ids = [r[0] for r in cursor.fetchall()]
        for i in range(n):
            desa = areas_by_id.get(assigned.desa_ids[i]) if assigned.desa_ids[i] else None
            if desa is None:
                desa = areas[picks[i][0]]
                lons[i], lats[i] = picks[i][1], picks[i][2]
            sector = rng.choices(sectors, weights=sector_w)[0]
            tw, kbli, name_t, products = zip(*[(t[0], t[1], t[2], t[3]) for t in TEMPLATES[sector]])
            k = rng.choices(range(len(tw)), weights=tw)[0]
            name = name_t[k].format(p=rng.choice(PEOPLE), d=desa.name)
            capital, sales = _figures(rng)
            established = datetime.date(2005, 1, 1) + datetime.timedelta(days=rng.randint(0, 7600))
            scale = scale_classify(capital_idr=capital, annual_sales_idr=sales, rule=ScaleRule.PP_7_2021,
                                   established_on=established)
            home = rng.random() < 0.4
            exact_consent = home and rng.random() < 0.5
            numbers_consent = rng.random() < 0.6
            stub = Business(location=Point(lons[i], lats[i], srid=SRID), is_home_based=home, desa=desa)
            public = business_public_point(business=stub, exact_location_consent=exact_consent,
                                           desa_points=desa_points)
            created = now - datetime.timedelta(days=rng.randint(0, 3 * 365), seconds=rng.randint(0, 86_400))
            verified = rng.random() < 0.8
            rows.append((
                ids[i], name, f"Usaha {sector.replace('_', ' ')} di Desa {desa.name}.", products[k],
                "".join(str(rng.randint(0, 9)) for _ in range(13)) if rng.random() < 0.7 else "",
                "rendah", [kbli[k]], "2020", sector, sector in FOOD_SECTORS, scale.scale, scale.rule, scale.basis,
                established, json.dumps([{"kind": "whatsapp", "value": f"08{rng.randint(11, 59)}{rng.randint(10**7, 10**8 - 1)}"}]),
                json.dumps({d: [["08:00", "21:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}),
                f"SRID={SRID};POINT({lons[i]} {lats[i]})", f"SRID={SRID};POINT({public.x} {public.y})",
                (not home) or exact_consent, numbers_consent, True, home, desa.id, desa.parent_id, False, "active",
                Verification.VERIFIED if verified else Verification.PENDING, created if verified else None, "",
                "synthetic", True, created, created,
            ))
            # Every synthetic registration consents to being listed (the
            # online form asks); verification still decides publication.
            for kind, given in ((BusinessConsent.Kind.LISTING, True),
                                (BusinessConsent.Kind.EXACT_LOCATION, exact_consent),
                                (BusinessConsent.Kind.REGISTRATION_NUMBERS, numbers_consent)):
                if given:
                    consents.append((ids[i], kind, True, BusinessConsent.Channel.ONLINE_FORM, created, ""))
            if sector in FOOD_SECTORS:
                if rng.random() < 0.35:
                    certificates.append(_certificate(rng, ids[i], Certificate.Kind.HALAL, created, verified))
                if sector == "pangan_olahan" and rng.random() < 0.45:
                    certificates.append(_certificate(rng, ids[i], Certificate.Kind.PIRT, created, verified))
        _copy(rows, consents, certificates)
        added += n
        if progress:
            progress(n)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE businesses_business")
    _invalidate_tiles()
    return added


def _certificate(rng, business_id: int, kind: str, created, verified: bool) -> tuple:
    import uuid
    issued = created.date() - datetime.timedelta(days=rng.randint(0, 900))
    if kind == Certificate.Kind.PIRT:
        number = "".join(str(rng.randint(0, 9)) for _ in range(15))
        expires, route = issued + datetime.timedelta(days=5 * 365), ""
    else:
        number = f"ID{rng.randint(10**11, 10**12 - 1)}"
        expires, route = None, rng.choice(["self_declare", "self_declare", "regular"])
    status = Verification.VERIFIED if verified else Verification.PENDING
    return (uuid.UUID(int=rng.getrandbits(128), version=4), business_id, kind, route, number,
            "BPJPH" if kind == Certificate.Kind.HALAL else "DPMPTSP Kubu Raya", issued, expires, status,
            created if verified else None)


def _copy(rows, consents, certificates) -> None:
    # COPY is the one way to write this volume quickly; the ORM's
    # bulk_create would build and send every row as parameters.
    with transaction.atomic(), connection.cursor() as cursor:
        pg = cursor.cursor
        with pg.copy(f"COPY businesses_business ({', '.join(BUSINESS_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with pg.copy("COPY businesses_businessconsent (business_id, kind, granted, channel, recorded_at, note) "
                     "FROM STDIN") as copy:
            for row in consents:
                copy.write_row(row)
        with pg.copy("COPY businesses_certificate (id, business_id, kind, halal_route, number, issuer, issued_on, "
                     "expires_on, verification_status, verified_at) FROM STDIN") as copy:
            for row in certificates:
                copy.write_row(row)


def _invalidate_tiles() -> None:
    """Bulk writes send no per-row signal; the whole layer is invalidated."""
    from .signals import businesses_bulk_written

    businesses_bulk_written.send(sender=None)
