"""Demo accounts with known passwords (for `make demo` only; never in production)."""
from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Role
from accounts.services import membership_grant, user_create
from geo.models import Agency
from geo.selectors import edition_current
from geo.services import area_upsert

from .models import Open311Key
from .services import categories_seed

DEMO_PASSWORD = "demo-kuburaya-2026"
DEMO_OPEN311_KEY = "demo-open311-kuburaya"
RT_CODE = "61.12.01.2001/RW-01/RT-001"  # a local unit in desa Sungai Raya

# username, role, agency code or None, description
DEMO_USERS = [
    ("koordinator", Role.COORDINATOR, "diskominfo", "Admin Koordinator (Diskominfo)"),
    ("staf_dinkes", Role.AGENCY_STAFF, "dinkes", "Petugas Dinas Kesehatan"),
    ("staf_pupr", Role.AGENCY_STAFF, "pupr", "Petugas Dinas PUPR"),
    ("kepala_pupr", Role.AGENCY_HEAD, "pupr", "Kepala Dinas PUPR (melihat laporan terlambat)"),
    ("staf_bpbd", Role.AGENCY_STAFF, "bpbd", "Petugas BPBD"),
    ("staf_pkm_sungai_durian", Role.AGENCY_STAFF, "pkm-sungai-durian", "Petugas Puskesmas Sungai Durian"),
    ("kru_pupr", Role.FIELD_CREW, "pupr", "Petugas lapangan PUPR"),
    ("ketua_rt", Role.KETUA_RT, None, f"Ketua RT {RT_CODE}"),
    ("warga", Role.RESIDENT, None, "Warga terdaftar"),
    ("perencana", Role.PLANNER, None, "Perencana (agregat saja)"),
    ("dpo", Role.DPO, None, "Pejabat Pelindungan Data Pribadi"),
    ("ppid", Role.PPID_OFFICER, None, "PPID Utama (register permohonan informasi)"),
    ("ppid_pupr", Role.PPID_OFFICER, "pupr", "PPID Pelaksana Dinas PUPR"),
    ("atasan_ppid", Role.PPID_SUPERIOR, None, "Atasan PPID (memutus keberatan)"),
    ("walidata", Role.WALIDATA, "diskominfo", "Walidata (menyetujui dataset OPD)"),
    ("produsen_pupr", Role.DATA_PRODUCER, "pupr", "Produsen Data Dinas PUPR"),
    ("produsen_dinkes", Role.DATA_PRODUCER, "dinkes", "Produsen Data Dinas Kesehatan"),
    ("produsen_bpbd", Role.DATA_PRODUCER, "bpbd", "Produsen Data BPBD"),
    ("verifikator_umkm", Role.UMKM_VERIFIER, "diskopumdag", "Verifikator UMKM (Diskopumdag)"),
    ("pemohon", Role.REQUESTER, None, "Pemohon informasi publik (satu permohonan contoh: ppid_demo)"),
]

@transaction.atomic
def demo_users_create() -> list[tuple[str, str, str]]:
    """Create (or reset the password of) every demo account; idempotent."""
    categories_seed()
    edition = edition_current()
    area_upsert(edition=edition, code="61.12.01.2001/RW-01", name="RW 01", level="rw")
    rt, _ = area_upsert(edition=edition, code=RT_CODE, name="RT 001", level="rt")
    User = get_user_model()
    created = []
    for username, role, agency_code, description in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(username=username, password=DEMO_PASSWORD, email=f"{username}@demo.kuburaya.invalid")
        else:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        membership_grant(user=user, role=role,
                         agency=Agency.objects.get(code=agency_code) if agency_code else None,
                         area=rt if role == Role.KETUA_RT else None)
        if role == Role.KETUA_RT:
            membership_grant(user=user, role=Role.RESIDENT)
        created.append((username, role, description))
    Open311Key.objects.get_or_create(key=DEMO_OPEN311_KEY, defaults={"name": "Demo"})
    return created

