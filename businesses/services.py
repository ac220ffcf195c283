"""Writes of businesses. Imports, the API and the admin share these paths.

Rules kept here:
- desa/kecamatan come from geo.selectors (point_locate, points_assign_desa);
  a point outside the regency is refused;
- the scale class is computed from the figures (businesses.scale);
- the public point comes from businesses.policy;
- changes by the owner to verified facts (NIB, the figures/scale,
  certificates) send the business back to pending until a verifier decides;
- every change is audited, and business_changed is sent on commit.
"""
import datetime
import re

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import user_has_role, user_regency_codes
from common.api_errors import ApiError
from geo.selectors import point_locate
from businesses.policy import business_public_point, consent_granted

from .models import (Business, BusinessAudit, BusinessConsent, BusinessFinancials, BusinessOwner,
                     Certificate, KbliEdition, ScaleRule, Verification)
from .scale import scale_classify
from .selectors import kbli_get_many
from .signals import business_changed

SRID = settings.GEO_STORAGE_SRID
NIB_RE = re.compile(r"^[0-9]{13}$")
PIRT_RE = re.compile(r"^[0-9]{15}$")

# Facts an owner may change only subject to verification.
VERIFIED_FACTS = {"nib", "scale", "scale_rule", "kbli_codes"}
# Fields whose values are never copied into the audit trail (personal /
# financial data); the trail records that they changed.
RESTRICTED_FIELDS = {"capital_idr", "annual_sales_idr", "location", "owner_name", "owner_nik",
                     "owner_home_address", "owner_phone", "owner_email"}
OWNER_EDITABLE = {"name", "description", "products", "nib", "kbli_codes", "contacts", "opening_hours",
                  "capital_idr", "annual_sales_idr", "established_on", "lon", "lat", "is_home_based",
                  "status", "oss_risk"}
CONTACT_KINDS = {"phone", "whatsapp", "email", "website", "instagram", "facebook", "tiktok", "marketplace"}
WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
_HHMM = re.compile(r"^([01][0-9]|2[0-4]):[0-5][0-9]$")


def nib_normalise(value: str | None) -> str:
    """'' or a 13-digit NIB (spaces and dots tolerated); ApiError otherwise."""
    nib = re.sub(r"[\s.\-]", "", str(value or ""))
    if nib and (not NIB_RE.match(nib) or set(nib) == {"0"}):
        raise ApiError("invalid_nib", _("NIB harus 13 digit angka."), fields={"nib": [str(_("NIB harus 13 digit angka."))]})
    return nib


def kbli_resolve(*, codes: list[str], edition: str) -> tuple[list[str], str, bool]:
    """(codes, sector of the first, any food code); ApiError on unknown codes."""
    codes = [str(c).strip() for c in codes if str(c).strip()]
    known = kbli_get_many(codes=codes, edition=edition)
    unknown = [c for c in codes if c not in known]
    if unknown:
        msg = _("Kode KBLI tidak dikenal: %(codes)s.") % {"codes": ", ".join(unknown)}
        raise ApiError("unknown_kbli", msg, fields={"kbli_codes": [str(msg)]})
    if not codes:
        return [], "", False
    return codes, known[codes[0]].sector, any(known[c].is_food for c in codes)


def contacts_clean(contacts) -> list[dict]:
    if not isinstance(contacts, list):
        raise ApiError("invalid_contacts", _("Kontak harus berupa daftar."))
    out = []
    for c in contacts:
        if not isinstance(c, dict) or c.get("kind") not in CONTACT_KINDS or not str(c.get("value", "")).strip():
            raise ApiError("invalid_contacts", _("Jenis kontak tidak dikenal atau nilainya kosong."))
        out.append({"kind": c["kind"], "value": str(c["value"]).strip()[:200]})
    return out


def opening_hours_clean(hours) -> dict:
    if not isinstance(hours, dict):
        raise ApiError("invalid_opening_hours", _("Jam buka harus berupa objek per hari."))
    for day, spans in hours.items():
        if day not in WEEKDAYS or not isinstance(spans, list):
            raise ApiError("invalid_opening_hours", _("Hari tidak dikenal dalam jam buka."))
        for span in spans:
            if (not isinstance(span, list) or len(span) != 2 or not all(_HHMM.match(str(t)) for t in span)
                    or span[0] >= span[1]):
                raise ApiError("invalid_opening_hours", _("Jam buka harus berbentuk [\"08:00\", \"17:00\"]."))
    return hours


def _locate(*, lon: float, lat: float):
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ApiError("invalid_location", _("Koordinat tidak valid."))
    location = point_locate(lon=lon, lat=lat, with_service_areas=False)
    if location is None:
        raise ApiError("outside_regency", _("Lokasi berada di luar wilayah Kabupaten Kubu Raya."),
                       fields={"location": [str(_("Lokasi berada di luar wilayah Kabupaten Kubu Raya."))]})
    return location


def _apply_scale(business: Business, financials: BusinessFinancials, rule: str) -> None:
    result = scale_classify(capital_idr=financials.capital_idr, annual_sales_idr=financials.annual_sales_idr,
                            rule=rule, established_on=business.established_on)
    business.scale = result.scale if result else ""
    business.scale_rule = result.rule if result else ""
    business.scale_basis = result.basis if result else ""


def _public_xy(business: Business) -> tuple[float, float] | None:
    """Where the public sees the business (the map tile it is drawn in), or
    None while it is not public (the rule of the view
    businesses_public_business: active, verified, listed with consent)."""
    if business.public_location is None or not (
            business.status == Business.Status.ACTIVE and business.verification_status == Verification.VERIFIED
            and business.listing_public):
        return None
    return (business.public_location.x, business.public_location.y)


def _refresh_public_location(business: Business, desa_points=None) -> None:
    exact_ok = consent_granted(business=business, kind=BusinessConsent.Kind.EXACT_LOCATION) \
        if business.pk else False
    business.public_location = business_public_point(business=business, exact_location_consent=exact_ok,
                                                     desa_points=desa_points)
    business.public_location_exact = (not business.is_home_based) or exact_ok


def _audit(business: Business, actor, action: str, changes: dict) -> None:
    safe = {k: ("(diubah)" if k in RESTRICTED_FIELDS else v) for k, v in changes.items()}
    BusinessAudit.objects.create(business=business, actor=actor if getattr(actor, "pk", None) else None,
                                 action=action, changes=safe)


def _send_changed(business_id: int, old_xy, new_xy) -> None:
    def send():
        business_changed.send(
            sender=Business, business_id=business_id,
            old_location=Point(*old_xy, srid=SRID) if old_xy else None,
            new_location=Point(*new_xy, srid=SRID) if new_xy else None)
    transaction.on_commit(send)


def businesses_reassigned(ids: list) -> int:
    """geo.reassign's hook (registered in BusinessesConfig.ready()): a
    home-based business shown at its desa point gets its public point
    recomputed after its desa changed (publication policy) and its tiles
    invalidated on commit. Returns how many public points changed."""
    if not ids:
        return 0
    from geo.selectors import desa_centroids

    desa_points = {code: (lon, lat) for code, lon, lat in desa_centroids()}
    changed = 0
    for business in Business.objects.filter(id__in=ids, is_home_based=True).select_related("desa"):
        old = business.public_location
        _refresh_public_location(business, desa_points=desa_points)
        new = business.public_location
        if old is None or not old.equals_exact(new, 1e-12):
            business.save(update_fields=["public_location", "public_location_exact"])
            _send_changed(business.id, (old.x, old.y) if old else None, (new.x, new.y))
            changed += 1
    return changed


def _jsonable(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


@transaction.atomic
def business_create(*, actor=None, owner: BusinessOwner | None = None, name: str, lon: float, lat: float,
                    description: str = "", products: str = "", nib: str = "", kbli_codes: list[str] | None = None,
                    kbli_edition: str = KbliEdition.KBLI_2020, capital_idr: int | None = None,
                    annual_sales_idr: int | None = None, established_on: datetime.date | None = None,
                    scale_rule: str = ScaleRule.PP_7_2021, contacts: list | None = None,
                    opening_hours: dict | None = None, is_home_based: bool = False,
                    exact_location_consent: tuple[str, datetime.datetime] | None = None,
                    numbers_consent: tuple[str, datetime.datetime] | None = None,
                    listing_consent: tuple[str, datetime.datetime] | None = None,
                    oss_risk: str = "", status: str = Business.Status.ACTIVE, source: str = "owner",
                    is_synthetic: bool = False) -> Business:
    """Create a business (pending verification). Consents given at creation
    are (channel, when) pairs and are recorded before the public point is
    computed. Public only once verified and with `listing_consent`."""
    if not str(name or "").strip():
        raise ApiError("name_required", _("Nama usaha wajib diisi."), fields={"name": [str(_("Wajib diisi."))]})
    location = _locate(lon=lon, lat=lat)
    codes, sector, is_food = kbli_resolve(codes=kbli_codes or [], edition=kbli_edition)
    business = Business(
        owner=owner, name=name.strip(), description=description, products=products, nib=nib_normalise(nib),
        kbli_codes=codes, kbli_edition=kbli_edition, sector=sector, is_food=is_food,
        established_on=established_on, contacts=contacts_clean(contacts or []),
        opening_hours=opening_hours_clean(opening_hours or {}), location=Point(lon, lat, srid=SRID),
        is_home_based=is_home_based, desa=location.desa, kecamatan=location.kecamatan,
        location_approximate=location.approximate, status=status, oss_risk=oss_risk, source=source,
        is_synthetic=is_synthetic, verification_status=Verification.PENDING,
    )
    financials = BusinessFinancials(capital_idr=capital_idr, annual_sales_idr=annual_sales_idr)
    _apply_scale(business, financials, scale_rule)
    business.public_location = Point(lon, lat, srid=SRID)  # placeholder until consents exist
    business.full_clean(exclude=["owner", "desa", "kecamatan", "verified_by", "search_text"])
    business.save()
    financials.business = business
    financials.save()
    for kind, given in ((BusinessConsent.Kind.LISTING, listing_consent),
                        (BusinessConsent.Kind.EXACT_LOCATION, exact_location_consent),
                        (BusinessConsent.Kind.REGISTRATION_NUMBERS, numbers_consent)):
        if given:
            channel, when = given
            BusinessConsent.objects.create(business=business, kind=kind, granted=True, channel=channel,
                                           recorded_at=when, recorded_by=actor if getattr(actor, "pk", None) else None)
    business.numbers_public = bool(numbers_consent)
    business.listing_public = bool(listing_consent)
    _refresh_public_location(business)
    business.save(update_fields=["public_location", "public_location_exact", "numbers_public", "listing_public"])
    _audit(business, actor, "created", {"name": business.name, "source": source})
    # Not public yet (pending verification); the tile it will be drawn in is
    # invalidated anyway, which costs nothing.
    _send_changed(business.pk, None, (business.public_location.x, business.public_location.y))
    return business


def business_verifier(*, user, business: Business) -> bool:
    """A UMKM verifier of the business's regency (regencies as tenants: a regency's
    verifiers verify and edit only their regency's businesses)."""
    if user is None or not user.is_authenticated:
        return False
    return business.regency_code in user_regency_codes(user=user, roles=[Role.UMKM_VERIFIER])


def business_can_edit(*, user, business: Business) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if business.owner_id and business.owner.user_id == user.id:
        return True
    return business_verifier(user=user, business=business)


@transaction.atomic
def business_update(*, business: Business, actor, changes: dict) -> Business:
    """An owner (or verifier) edit. Unknown fields are refused; changes to
    verified facts send the business back to pending."""
    if not business_can_edit(user=actor, business=business):
        raise ApiError("permission_denied", _("Anda tidak berhak mengubah usaha ini."), status_code=403)
    unknown = set(changes) - OWNER_EDITABLE
    if unknown:
        raise ApiError("unknown_fields", _("Kolom tidak dapat diubah: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    business = Business.objects.select_for_update().get(pk=business.pk)
    financials, _created = BusinessFinancials.objects.get_or_create(business=business)
    old_xy = _public_xy(business)
    before = {f: getattr(business, f) for f in ("name", "description", "products", "nib", "kbli_codes",
                                                 "contacts", "opening_hours", "established_on", "is_home_based",
                                                 "status", "oss_risk", "scale", "scale_rule")}
    audit: dict = {}
    for field in ("name", "description", "products", "oss_risk", "status"):
        if field in changes:
            setattr(business, field, str(changes[field]).strip() if field == "name" else changes[field])
    if "name" in changes and not business.name:
        raise ApiError("name_required", _("Nama usaha wajib diisi."))
    if "nib" in changes:
        business.nib = nib_normalise(changes["nib"])
    if "kbli_codes" in changes:
        business.kbli_codes, business.sector, business.is_food = kbli_resolve(
            codes=list(changes["kbli_codes"] or []), edition=business.kbli_edition)
    if "contacts" in changes:
        business.contacts = contacts_clean(changes["contacts"])
    if "opening_hours" in changes:
        business.opening_hours = opening_hours_clean(changes["opening_hours"])
    if "established_on" in changes:
        business.established_on = changes["established_on"]
    if "is_home_based" in changes:
        business.is_home_based = bool(changes["is_home_based"])
    for field in ("capital_idr", "annual_sales_idr"):
        if field in changes and changes[field] != getattr(financials, field):
            if changes[field] is not None and int(changes[field]) < 0:
                raise ApiError("invalid_amount", _("Nilai tidak boleh negatif."))
            setattr(financials, field, changes[field])
            audit[field] = True
    if "lon" in changes or "lat" in changes:
        lon = float(changes.get("lon", business.location.x))
        lat = float(changes.get("lat", business.location.y))
        location = _locate(lon=lon, lat=lat)
        if (lon, lat) != (business.location.x, business.location.y):
            audit["location"] = True
        business.location = Point(lon, lat, srid=SRID)
        business.desa, business.kecamatan = location.desa, location.kecamatan
        business.location_approximate = location.approximate
    rule = business.scale_rule or ScaleRule.PP_7_2021
    if audit.get("capital_idr") or audit.get("annual_sales_idr") or "established_on" in changes:
        # An owner edit is classified under the rule in force, even when the
        # entry came from a legacy (UU 20/2008) import.
        rule = ScaleRule.PP_7_2021
    _apply_scale(business, financials, rule)
    for field, old in before.items():
        new = getattr(business, field)
        if new != old:
            audit[field] = [_jsonable(old), _jsonable(new)]
    if not audit:
        return business
    is_verifier = business_verifier(user=actor, business=business)
    touched_facts = VERIFIED_FACTS & set(audit)
    if touched_facts and not is_verifier:
        business.verification_status = Verification.PENDING
        audit["verification_status"] = "pending"
    _refresh_public_location(business)
    business.full_clean(exclude=["owner", "desa", "kecamatan", "verified_by", "search_text"])
    business.save()
    financials.save()
    _audit(business, actor, "updated", audit)
    new_xy = _public_xy(business)
    if old_xy != new_xy:
        _send_changed(business.pk, old_xy, new_xy)
    return business


@transaction.atomic
def certificate_add(*, business: Business, actor, kind: str, number: str, halal_route: str = "",
                    issuer: str = "", issued_on: datetime.date | None = None,
                    expires_on: datetime.date | None = None) -> Certificate:
    """A certificate claimed by the owner: pending, and the business with it."""
    if not business_can_edit(user=actor, business=business):
        raise ApiError("permission_denied", _("Anda tidak berhak mengubah usaha ini."), status_code=403)
    if kind not in Certificate.Kind.values:
        raise ApiError("unknown_certificate_kind", _("Jenis sertifikat tidak dikenal."))
    number = re.sub(r"[\s.\-]", "", number or "") if kind == Certificate.Kind.PIRT else (number or "").strip()
    if kind == Certificate.Kind.PIRT and not PIRT_RE.match(number):
        raise ApiError("invalid_pirt", _("Nomor P-IRT harus 15 digit angka."),
                       fields={"number": [str(_("Nomor P-IRT harus 15 digit angka."))]})
    if not number:
        raise ApiError("number_required", _("Nomor sertifikat wajib diisi."))
    if halal_route and (kind != Certificate.Kind.HALAL or halal_route not in Certificate.HalalRoute.values):
        raise ApiError("invalid_halal_route", _("Jalur halal hanya untuk sertifikat halal (self_declare/regular)."))
    if issued_on and expires_on and expires_on < issued_on:
        raise ApiError("invalid_dates", _("Tanggal berakhir sebelum tanggal terbit."))
    cert = Certificate.objects.create(business=business, kind=kind, number=number, halal_route=halal_route,
                                      issuer=issuer, issued_on=issued_on, expires_on=expires_on)
    is_verifier = business_verifier(user=actor, business=business)
    if not is_verifier:
        old_xy = _public_xy(business)
        Business.objects.filter(pk=business.pk).update(verification_status=Verification.PENDING,
                                                       updated_at=timezone.now())
        business.verification_status = Verification.PENDING
        if old_xy is not None:
            _send_changed(business.pk, old_xy, None)
    _audit(business, actor, "certificate_added", {"certificate": str(cert.pk), "kind": kind})
    return cert


@transaction.atomic
def consent_record(*, business: Business, actor, kind: str, granted: bool, channel: str,
                   note: str = "", recorded_at: datetime.datetime | None = None) -> BusinessConsent:
    """Record an owner's decision (what, when, how) and apply it."""
    if not business_can_edit(user=actor, business=business):
        raise ApiError("permission_denied", _("Anda tidak berhak mengubah usaha ini."), status_code=403)
    if kind not in BusinessConsent.Kind.values:
        raise ApiError("unknown_consent_kind", _("Jenis persetujuan tidak dikenal."))
    if channel not in BusinessConsent.Channel.values:
        raise ApiError("unknown_consent_channel", _("Cara persetujuan tidak dikenal."))
    business = Business.objects.select_for_update().get(pk=business.pk)
    consent = BusinessConsent.objects.create(
        business=business, kind=kind, granted=bool(granted), channel=channel, note=note,
        recorded_at=recorded_at or timezone.now(), recorded_by=actor if getattr(actor, "pk", None) else None)
    old_xy = _public_xy(business)
    business.numbers_public = consent_granted(business=business, kind=BusinessConsent.Kind.REGISTRATION_NUMBERS)
    business.listing_public = consent_granted(business=business, kind=BusinessConsent.Kind.LISTING)
    _refresh_public_location(business)
    business.save(update_fields=["public_location", "public_location_exact", "numbers_public", "listing_public",
                                 "updated_at"])
    _audit(business, actor, "consent_recorded", {"kind": kind, "granted": bool(granted), "channel": channel})
    new_xy = _public_xy(business)
    if old_xy != new_xy:
        _send_changed(business.pk, old_xy, new_xy)
    return consent


@transaction.atomic
def business_verify(*, business: Business, actor, decision: str, note: str = "") -> Business:
    """A verifier's decision on the business and its pending certificates."""
    if not user_has_role(user=actor, roles=[Role.UMKM_VERIFIER]):
        raise ApiError("permission_denied", _("Hanya verifikator UMKM yang dapat memverifikasi."), status_code=403)
    if not business_verifier(user=actor, business=business):
        # Another regency's business does not exist for this verifier.
        raise ApiError("not_found", _("Usaha tidak ditemukan."), status_code=404)
    if decision not in (Verification.VERIFIED, Verification.REJECTED):
        raise ApiError("invalid_decision", _("Keputusan harus verified atau rejected."))
    business = Business.objects.select_for_update().get(pk=business.pk)
    now = timezone.now()
    old = business.verification_status
    old_xy = _public_xy(business)
    business.verification_status = decision
    business.verified_at = now
    business.verified_by = actor
    business.verification_note = note
    business.save(update_fields=["verification_status", "verified_at", "verified_by", "verification_note",
                                 "updated_at"])
    certs = business.certificates.filter(verification_status=Verification.PENDING)
    cert_ids = [str(c) for c in certs.values_list("id", flat=True)]
    certs.update(verification_status=decision, verified_at=now, verified_by=actor)
    _audit(business, actor, "verified" if decision == Verification.VERIFIED else "rejected",
           {"verification_status": [old, decision], "certificates": cert_ids})
    new_xy = _public_xy(business)
    if old_xy != new_xy:
        _send_changed(business.pk, old_xy, new_xy)
    return business


def owner_create(*, user=None, name: str, nik: str = "", home_address: str = "", phone: str = "",
                 email: str = "") -> BusinessOwner:
    if nik and not re.fullmatch(r"[0-9]{16}", nik):
        raise ApiError("invalid_nik", _("NIK harus 16 digit angka."))
    owner = BusinessOwner(user=user, name=name, nik=nik, home_address=home_address, phone=phone, email=email)
    owner.full_clean(exclude=["user"])
    owner.save()
    return owner
