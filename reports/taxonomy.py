"""The seeded RT Online taxonomy (domain.md 7.3), version 1.

Default agencies are codes from geo/seed/agencies.json; `puskesmas_rules`
adds one routing rule per Puskesmas working area (Dinas Kesehatan ->
Puskesmas of the working area). Target days follow the SP4N unit SOP
example (2 / 5 / 14 WD); duplicate radii are proposals. Radius 0 means no
duplicate search (one person's case is never a duplicate of another's).
"""
TAXONOMY_VERSION = 1

# (code, name_id, name_en, group, class, aggregate_level, serta_merta,
#  default agency, target WD, duplicate radius m, photo required,
#  force confidential, puskesmas rules)
CATEGORIES = [
    ("health-visit", "Warga sakit / butuh layanan kesehatan", "Resident ill / needs health care",
     "kesehatan", "P3", "desa", False, "dinkes", 2, 0, False, False, True),
    ("maternal-child", "Ibu hamil risiko tinggi / balita gizi buruk", "High-risk pregnancy / malnourished child",
     "kesehatan", "P3", "desa", False, "dinkes", 5, 0, False, False, True),
    ("disease-outbreak", "Dugaan penyakit menular / KLB", "Suspected communicable disease / outbreak",
     "kesehatan", "P3", "desa", True, "dinkes", 2, 500, False, False, True),
    ("death", "Kematian warga", "Death of a resident",
     "kependudukan", "P3", "desa", False, "disdukcapil", 5, 0, False, False, False),
    ("social-assistance", "Warga miskin / terlantar / lansia / disabilitas butuh bantuan",
     "Poor, neglected, elderly or disabled resident needs assistance",
     "sosial", "P3", "desa", False, "dinsos", 14, 0, False, False, False),
    ("violence", "Kekerasan dalam rumah tangga / terhadap anak / perempuan",
     "Domestic violence / violence against children or women",
     "perlindungan", "P3", "kecamatan", False, "uptd-ppa", 2, 0, False, True, False),
    ("crime", "Tindak kriminal / keamanan", "Crime / security",
     "keamanan", "P3", "kecamatan", False, "polres", 5, 0, False, True, False),
    ("road-damage", "Jalan / jembatan rusak, turap longsor, drainase tersumbat",
     "Damaged road or bridge, collapsed embankment, blocked drain",
     "infrastruktur", "P0", "desa", False, "pupr", 14, 100, True, False, False),
    ("flood", "Banjir / rob", "Flood / tidal flood",
     "bencana", "P0", "desa", True, "bpbd", 2, 500, False, False, False),
    ("land-fire", "Kebakaran hutan / lahan (titik api, asap)", "Forest or land fire (hotspot, haze)",
     "bencana", "P0", "desa", True, "bpbd", 2, 1000, False, False, False),
    ("building-fire", "Kebakaran bangunan", "Building fire",
     "bencana", "P0", "desa", True, "damkar", 2, 200, False, False, False),
    ("storm-tree", "Angin puting beliung / pohon tumbang", "Whirlwind / fallen tree",
     "bencana", "P0", "desa", False, "bpbd", 5, 200, False, False, False),
    ("rubbish", "Sampah liar / TPS penuh / pencemaran", "Illegal dumping / full waste point / pollution",
     "lingkungan", "P0", "desa", False, "dlh", 5, 50, True, False, False),
    ("street-light", "Penerangan jalan umum mati", "Street light out",
     "infrastruktur", "P0", "desa", False, "dishub", 5, 50, False, False, False),
    ("public-order", "PKL / bangunan liar di fasilitas umum, ketertiban",
     "Street vendors / illegal structures on public land, public order",
     "ketertiban", "P0", "desa", False, "satpolpp", 14, 50, False, False, False),
    ("traffic", "Lalu lintas, parkir, angkutan, kendaraan over-tonase",
     "Traffic, parking, transport, overloaded vehicles",
     "perhubungan", "P0", "desa", False, "dishub", 5, 100, False, False, False),
    ("water", "Air bersih", "Clean water supply",
     "infrastruktur", "P0", "desa", False, "pdam", 5, 200, False, False, False),
    ("school-facility", "Sekolah / fasilitas pendidikan rusak", "Damaged school or education facility",
     "pendidikan", "P0", "desa", False, "disdik", 14, 100, True, False, False),
    ("civil-registry", "Layanan adminduk (KTP / KK) bermasalah", "Civil registration (ID card, family card) problem",
     "kependudukan", "P2", "desa", False, "disdukcapil", 5, 0, False, False, False),
    ("maladministration", "Pungli / maladministrasi / pelayanan buruk",
     "Extortion / maladministration / poor service",
     "pengaduan", "P3", "kecamatan", False, "inspektorat", 14, 0, False, True, False),
    ("livestock-pest", "Hama / penyakit ternak / ikan", "Crop pests / livestock or fish disease",
     "pertanian", "P0", "desa", True, "distan", 5, 1000, False, False, False),
    ("other", "Lainnya", "Other",
     "lainnya", "P2", "desa", False, None, 5, 0, False, False, False),
]

# Extra rules seeded beside the Puskesmas ones: a building fire inside the
# Sungai Raya fire post's response radius goes to that post.
SERVICE_AREA_RULES = [
    ("building-fire", "damkar-pos-sungai-raya"),
]
