"""The agencies of a newly loaded regency, from a template (issue 23).

Kubu Raya's agencies come from geo/seed/agencies.json (names, e-mail, example
service areas). Any other kabupaten/kota of West Kalimantan loaded with
`geo_load_kalbar` starts from the same list as a template:

- every regency-wide OPD of the seed (Diskominfo as the coordinator, Dinas PUPR,
  Dinkes, BPBD, Satpol PP, Dishub, Dinsos, DLH, Damkar, ...), one each, serving
  the whole regency;
- one kantor kecamatan per kecamatan of the regency's code list;
- one Puskesmas per kecamatan (under its Dinkes), serving that kecamatan: the
  minimum the Ministry of Health's rule for Puskesmas sets, until the regency
  enters its real working areas.

Codes are the seed's codes prefixed with the regency's digits (`6171-pupr`,
`6171-kec-01`, `6171-pkm-01`), so agencies of different regencies never clash
and the regency of an agency is readable from its code. Re-running changes
nothing that exists.
"""
from __future__ import annotations

import json
from collections import Counter

from django.db import transaction

from .importers.kubu_raya import SEED_AGENCIES
from .models import Agency, Area, Edition, ServiceArea
from .services import service_area_save

# Seed agencies that are Kubu Raya's own places, not regency-wide offices.
_LOCAL_PREFIXES = ("kec-", "pkm-", "damkar-pos-")


def template_code(regency_code: str, code: str) -> str:
    """'61.71', 'pupr' -> '6171-pupr'."""
    return f"{regency_code.replace('.', '')}-{code}"


def template_agencies() -> list[dict]:
    """The regency-wide OPDs of the seed: the template."""
    seed = json.loads(SEED_AGENCIES.read_text(encoding="utf-8"))["agencies"]
    return [a for a in seed if not a["code"].startswith(_LOCAL_PREFIXES)]


def _ensure(counts: Counter, *, regency_code: str, code: str, area_codes: list[str], service_area_name: str,
            **values) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        agency = Agency.objects.create(code=code, regency_code=regency_code, **values)
        counts["agency_added"] += 1
    else:
        counts["agency_unchanged"] += 1
    if not ServiceArea.objects.filter(agency=agency, name=service_area_name).exists():
        service_area_save(service_area=ServiceArea(agency=agency, name=service_area_name, area_codes=area_codes))
        counts["service_area_added"] += 1
    return agency


@transaction.atomic
def regency_agencies_create(*, regency_code: str, edition: Edition | None = None) -> Counter:
    """Create the template agencies of one loaded regency (its areas must be loaded)."""
    edition = edition or Edition.objects.get(is_current=True)
    regency = Area.objects.filter(edition=edition, code=regency_code, level=Area.Level.KABUPATEN).first()
    if regency is None:
        raise ValueError(f"regency {regency_code} is not loaded (run geo_load_kalbar {regency_code} --commit)")
    counts = Counter()
    whole = f"Seluruh {regency.name.title()}"
    created = {}
    for item in template_agencies():
        parent = created.get(item["parent"]) if item.get("parent") else None
        created[item["code"]] = _ensure(
            counts, regency_code=regency_code, code=template_code(regency_code, item["code"]),
            area_codes=[regency_code], service_area_name=whole,
            name=item["name"], short_name=item["short_name"], kind=item["kind"], parent=parent,
            is_coordinator=item["is_coordinator"], email="")
    dinkes = created.get("dinkes")
    kecamatan = Area.objects.filter(edition=edition, parent=regency, level=Area.Level.KECAMATAN).order_by("code")
    for k in kecamatan:
        suffix = k.code.rsplit(".", 1)[1]
        name = k.name.title()
        _ensure(counts, regency_code=regency_code, code=template_code(regency_code, f"kec-{suffix}"),
                area_codes=[k.code], service_area_name=f"Kecamatan {name}",
                name=f"Kantor Kecamatan {name}", short_name=f"Kec. {name}", kind=Agency.Kind.KECAMATAN,
                email="")
        _ensure(counts, regency_code=regency_code, code=template_code(regency_code, f"pkm-{suffix}"),
                area_codes=[k.code], service_area_name=f"Wilayah kerja Puskesmas {name}",
                name=f"Puskesmas {name}", short_name=f"PKM {name}", kind=Agency.Kind.UPT, parent=dinkes,
                email="")
    return counts
