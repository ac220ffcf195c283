"""Regencies (kabupaten/kota) as tenants: the regency code every regency-owned row carries.

A deployment serves one regency (the default: Kubu Raya, `61.12`, settings.KR_REGENCY_CODE)
or several (geo_load_kalbar). Every model that belongs to a regency has a `regency_code`
column (`61.12`, `61.71`, ...): areas, agencies and service areas, routing rules, reports
and their events, photos and personal data, businesses, datasets, PPID registers,
announcements. On Citus it is the distribution column (docs/scaling.md); on one
PostgreSQL it is a plain column that scopes staff to their regency.

How the value is filled, so that no caller has to remember it:

- rows that carry their own Kemendagri code (areas, their parts and lookup cells) have a
  generated column, left(code, 5);
- other models name where their regency comes from in `regency_from` (a foreign key to a
  row that has a regency code, e.g. a report's `desa`, an event's `report`); the pre_save
  hook below copies it when a row is created without an explicit code;
- the column's database default is the deployment's regency, so raw-SQL inserts of a
  one-regency deployment need no change.
"""
from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models.functions import Left
from django.db.models.signals import pre_save
from django.dispatch import receiver

REGENCY_CODE_RE = re.compile(r"^\d{2}\.\d{2}$")


def default_regency() -> str:
    return getattr(settings, "KR_REGENCY_CODE", "61.12")


def regency_of(code: str | None) -> str | None:
    """'61.12.01.2001' -> '61.12'; '61.12.01.2001/RW-03/RT-007' -> '61.12'; '61' -> None."""
    if not code:
        return None
    head = code[:5]
    return head if REGENCY_CODE_RE.match(head) else None


def routed(qs: models.QuerySet, pk, regency: str | None = None) -> models.QuerySet:
    """`qs` narrowed to the row `pk`. With `regency` (the caller knows it, e.g. a
    staff member's own regency) the row is looked up in that regency only: on Citus
    a router query on one shard. Without it, on Citus (settings.KR_CITUS) a locking
    `qs` (select_for_update) is also narrowed to the row's regency, read first, so
    the statement names one shard (Citus refuses a `SELECT ... FOR UPDATE` that does
    not); a plain read needs no regency (Citus asks every shard). One PostgreSQL:
    the same single query."""
    return _narrowed(qs, regency, pk=pk)


def first_in_regency(qs: models.QuerySet, regency: str | None, *, elsewhere: bool = True, **lookup):
    """The first row of `qs` matching `lookup`, or None: looked up in `regency` (one
    shard on Citus); when not found there (or `regency` is None) and `elsewhere`, in
    every regency (a lock first reads the row's regency: `routed`)."""
    if regency is not None:
        found = _narrowed(qs, regency, **lookup).first()
        if found is not None or not elsewhere:
            return found
    return _narrowed(qs, None, **lookup).first()


def _narrowed(qs: models.QuerySet, regency: str | None, **lookup) -> models.QuerySet:
    if regency is None:
        if not (settings.KR_CITUS and qs.query.select_for_update):
            return qs.filter(**lookup)
        regency = qs.model._base_manager.filter(**lookup).values_list("regency_code", flat=True).first()
    return qs.filter(regency_code=regency, **lookup)


# A public tracking code names its regency in its two-letter prefix (KR-7GQ2-M4XZ:
# Kubu Raya), so a code alone finds its report in one regency: on Citus one shard (a
# router query) instead of every shard. Letters from the codes' own alphabet (no I, L,
# O, U: read out over the phone); Landak is NG (Ngabang, its capital).
TRACKING_PREFIX = {
    "61.01": "SB",  # Sambas
    "61.02": "MP",  # Mempawah
    "61.03": "SG",  # Sanggau
    "61.04": "KT",  # Ketapang
    "61.05": "ST",  # Sintang
    "61.06": "KH",  # Kapuas Hulu
    "61.07": "BK",  # Bengkayang
    "61.08": "NG",  # Landak (Ngabang)
    "61.09": "SK",  # Sekadau
    "61.10": "MW",  # Melawi
    "61.11": "KY",  # Kayong Utara
    "61.12": "KR",  # Kubu Raya
    "61.71": "PT",  # Kota Pontianak
    "61.72": "SW",  # Kota Singkawang
}
REGENCY_OF_TRACKING_PREFIX = {prefix: code for code, prefix in TRACKING_PREFIX.items()}
# Before prefixes named regencies every code was issued as KR-, in every regency.
TRACKING_PREFIX_LEGACY = "KR"


def tracking_prefix(regency_code: str | None = None) -> str:
    """'61.71' -> 'PT'; the deployment's regency when None; KR for a code outside the table."""
    code = regency_code if _explicit(regency_code) else default_regency()
    return TRACKING_PREFIX.get(code, TRACKING_PREFIX_LEGACY)


def regency_of_tracking(code: str) -> str | None:
    """'PT-7GQ2-M4XZ' -> '61.71'; None when the code has no known prefix."""
    if len(code) > 3 and code[2] == "-":
        return REGENCY_OF_TRACKING_PREFIX.get(code[:2])
    return None


def by_tracking_code(qs: models.QuerySet, code: str):
    """The first row of `qs` (reports or values of reports) with this tracking code, or
    None. Looked up in the regency its prefix names, one shard on Citus; a KR- code not
    found in Kubu Raya is looked up by the code alone (every shard), as codes issued
    before prefixes named regencies were KR- in any regency; so is a code without a
    known prefix."""
    regency = regency_of_tracking(code)
    return first_in_regency(qs, regency, tracking_code=code,
                            elsewhere=regency is None or code[:2] == TRACKING_PREFIX_LEGACY)


def fields_but_regency(instance: models.Model) -> list[str]:
    """`update_fields` for a full save() that leaves the regency out: the tenant of a
    row never changes, and on Citus, where it is the distribution column, an UPDATE
    that sets it is refused ("modifying the partition value of rows")."""
    return [f.name for f in instance._meta.concrete_fields
            if not f.primary_key and not f.generated and f.name != "regency_code"]


def regency_field(**kwargs) -> models.CharField:
    """The `regency_code` column of a regency-owned model (database default: this
    deployment's regency, so existing rows and raw inserts are Kubu Raya's)."""
    options = {"max_length": 5, "db_default": default_regency(), "editable": False,
               "help_text": "Kabupaten/kota code, e.g. 61.12 (the tenant; Citus distribution column)."}
    options.update(kwargs)
    return models.CharField(**options)


def regency_generated(source: str = "code") -> models.GeneratedField:
    """`regency_code` computed by the database from the row's own Kemendagri code."""
    return models.GeneratedField(
        expression=Left(source, 5), output_field=models.CharField(max_length=5),
        db_persist=True, help_text="Kabupaten/kota code (left(code, 5)).")


def _explicit(value) -> bool:
    return isinstance(value, str) and value != ""


def _of_related(related) -> str | None:
    """The regency of a loaded row without a query: its regency_code when loaded, else
    (areas, whose code is generated) from its own code."""
    if related is None:
        return None
    value = related.__dict__.get("regency_code")
    if _explicit(value):
        return value
    field = related._meta.get_field("regency_code") if hasattr(related, "_meta") else None
    if isinstance(field, models.GeneratedField) and "code" in related.__dict__:
        return regency_of(related.code)
    return None


def fill(*rows) -> None:
    """Fill the regency of new rows that are inserted without save() (bulk paths), in
    the order given (a report before its events)."""
    for row in rows:
        fill_regency(type(row), row)


def derive(instance) -> str | None:
    """The regency of a new row from the field its model names in `regency_from`
    (tried in order; a tuple names alternatives such as an announcement's agency or area)."""
    sources = getattr(type(instance), "regency_from", ())
    if isinstance(sources, str):
        sources = (sources,)
    for name in sources:
        field = instance._meta.get_field(name)
        found = pk = None
        if not field.is_relation:
            found = regency_of(getattr(instance, name))
        elif field.is_cached(instance):
            related = getattr(instance, name)
            found = _of_related(related)
            pk = related.pk if related is not None else None
        else:
            pk = getattr(instance, field.attname)
        if found is None and pk is not None:
            found = field.related_model._base_manager.filter(pk=pk).values_list("regency_code", flat=True).first()
        if _explicit(found):
            return found
    return None


@receiver(pre_save, dispatch_uid="common.regency.fill")
def fill_regency(sender, instance, raw=False, **kwargs):
    if raw or not getattr(sender, "regency_from", None) or not instance._state.adding:
        return
    if _explicit(getattr(instance, "regency_code", None)):
        return
    found = derive(instance)
    if found:
        instance.regency_code = found
