"""The demo requester's sample request (for `make demo` only; never in
production): the demo account `pemohon` (reports.demo, created by
`demo_users` before this) is registered as a requester and files one
request, so the PPID officer's register has something to answer."""
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import InformationRequest
from .services import request_create, requester_register

DEMO_REQUESTER = "pemohon"
DEMO_REQUESTER_IDENTITY = {"kind": "person", "name": "Pemohon Contoh (sintetis)", "id_number": "6112010101900001",
                           "address": "Jl. Contoh No. 1, Sungai Raya (data sintetis)", "phone": "",
                           "email": "pemohon@demo.kuburaya.invalid", "occupation": "Peneliti"}


@transaction.atomic
def demo_request_create() -> bool:
    """Register the demo requester and file its sample request (once); False
    when the demo account does not exist."""
    user = get_user_model().objects.filter(username=DEMO_REQUESTER).first()
    if user is None:
        return False
    requester_register(user=user, identity=DEMO_REQUESTER_IDENTITY)
    if not InformationRequest.objects.filter(requester=user).exists():
        request_create(requester=user, information="Data titik jalan rusak per desa tahun 2026 (contoh demo)",
                       purpose="Kajian perencanaan (contoh demo)")
    return True
