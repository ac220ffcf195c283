"""Input parsing for the businesses API; public output is built by
businesses.policy, owner/verifier output here."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Business, BusinessConsent, Certificate, KbliEdition, Scale, Sector

MAX_RADIUS_M = 50_000
MAX_LIMIT = 100


def _floats(value: str, n: int, label: str) -> list[float]:
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != n:
        raise serializers.ValidationError(_("%(label)s harus berisi %(n)d angka dipisah koma.") % {"label": label, "n": n})
    return parts


class SearchInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, trim_whitespace=True)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)
    scale = serializers.ChoiceField(choices=Scale.choices, required=False)
    certificate = serializers.ChoiceField(choices=Certificate.Kind.choices, required=False)
    desa = serializers.CharField(required=False, max_length=40)
    kecamatan = serializers.CharField(required=False, max_length=40)
    near = serializers.CharField(required=False, help_text="lon,lat (EPSG:4326)")
    radius_m = serializers.FloatField(required=False, min_value=1, max_value=MAX_RADIUS_M)
    bbox = serializers.CharField(required=False, help_text="minlon,minlat,maxlon,maxlat (EPSG:4326)")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=20)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=10_000, default=0)

    def validate_near(self, value):
        lon, lat = _floats(value, 2, "near")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise serializers.ValidationError(_("Koordinat di luar jangkauan."))
        return (lon, lat)

    def validate_bbox(self, value):
        minx, miny, maxx, maxy = _floats(value, 4, "bbox")
        if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
            raise serializers.ValidationError(_("bbox tidak valid (minlon,minlat,maxlon,maxlat)."))
        return (minx, miny, maxx, maxy)

    def validate(self, attrs):
        if "radius_m" in attrs and "near" not in attrs:
            raise serializers.ValidationError({"radius_m": [_("radius_m memerlukan near=lon,lat.")]})
        if "near" in attrs:
            attrs.setdefault("radius_m", 5000.0)
        return attrs


class BusinessInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    products = serializers.CharField(required=False, allow_blank=True)
    nib = serializers.CharField(required=False, allow_blank=True, max_length=20)
    kbli_codes = serializers.ListField(child=serializers.CharField(max_length=5), required=False)
    kbli_edition = serializers.ChoiceField(choices=KbliEdition.choices, required=False, default=KbliEdition.KBLI_2020)
    capital_idr = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    annual_sales_idr = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    established_on = serializers.DateField(required=False, allow_null=True)
    contacts = serializers.ListField(child=serializers.DictField(), required=False)
    opening_hours = serializers.DictField(required=False)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    is_home_based = serializers.BooleanField(required=False, default=False)
    listing_consent = serializers.BooleanField(
        required=False, default=False,
        help_text="The owner agrees that the business is listed in the public directory once verified "
                  "(recorded as a 'listing' consent, online form). Without it the business is never public.")
    oss_risk = serializers.ChoiceField(choices=Business.OssRisk.choices, required=False, allow_blank=True)
    owner_name = serializers.CharField(max_length=200, required=False)
    owner_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    owner_home_address = serializers.CharField(required=False, allow_blank=True)


class BusinessPatchInput(BusinessInput):
    name = serializers.CharField(max_length=200, required=False)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
    is_home_based = serializers.BooleanField(required=False)
    status = serializers.ChoiceField(choices=Business.Status.choices, required=False)
    kbli_edition = None
    owner_name = None
    owner_phone = None
    owner_home_address = None


class CertificateInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Certificate.Kind.choices)
    number = serializers.CharField(max_length=60)
    halal_route = serializers.ChoiceField(choices=Certificate.HalalRoute.choices, required=False, allow_blank=True)
    issuer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)


class ConsentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=BusinessConsent.Kind.choices)
    granted = serializers.BooleanField()
    channel = serializers.ChoiceField(choices=BusinessConsent.Channel.choices)
    note = serializers.CharField(required=False, allow_blank=True)


class VerificationInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("verified", "verified"), ("rejected", "rejected")])
    note = serializers.CharField(required=False, allow_blank=True)


class StatsInput(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=[("desa", "desa"), ("kecamatan", "kecamatan")], default="kecamatan")


def business_private_dict(b: Business) -> dict:
    """What the owner (and the verifier) see: includes the exact point and
    the figures. Never used by a public output."""
    financials = getattr(b, "financials", None)
    return {
        "id": b.pk, "name": b.name, "description": b.description, "products": b.products,
        "nib": b.nib, "oss_risk": b.oss_risk, "kbli_codes": b.kbli_codes, "kbli_edition": b.kbli_edition,
        "sector": b.sector, "scale": b.scale, "scale_rule": b.scale_rule, "scale_basis": b.scale_basis,
        "capital_idr": financials.capital_idr if financials else None,
        "annual_sales_idr": financials.annual_sales_idr if financials else None,
        "established_on": b.established_on.isoformat() if b.established_on else None,
        "contacts": b.contacts, "opening_hours": b.opening_hours,
        "location": {"lon": b.location.x, "lat": b.location.y},
        "public_location": {"lon": b.public_location.x, "lat": b.public_location.y},
        "public_location_exact": b.public_location_exact, "numbers_public": b.numbers_public,
        "is_home_based": b.is_home_based,
        "desa": {"code": b.desa.code, "name": b.desa.name} if b.desa_id else None,
        "kecamatan": {"code": b.kecamatan.code, "name": b.kecamatan.name} if b.kecamatan_id else None,
        "status": b.status, "verification_status": b.verification_status,
        "verification_note": b.verification_note,
        "certificates": [{"id": str(c.id), "kind": c.kind, "number": c.number, "halal_route": c.halal_route,
                          "issued_on": c.issued_on.isoformat() if c.issued_on else None,
                          "expires_on": c.expires_on.isoformat() if c.expires_on else None,
                          "verification_status": c.verification_status} for c in b.certificates.all()],
    }
