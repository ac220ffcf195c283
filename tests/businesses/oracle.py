"""The tests' oracle for the public business Feature: a plain Python reading
of the public view's rows, field by field. Production spells the Feature
once, in SQL (businesses.policy._FEATURE_SQL); tests/businesses
compare every SQL rendering with this."""
import json

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet
from django.db.models.functions import JSONObject

from businesses.models import PublicBusiness, PublicCertificate, PublicPhoto


def businesses_public_for_output(qs: QuerySet[PublicBusiness]) -> QuerySet[PublicBusiness]:
    """Annotates what business_public_dict reads besides the row itself (the
    public certificates, the photos) as JSON arrays."""
    certificates = (PublicCertificate.objects.filter(business=OuterRef("pk")).order_by("kind", "number")
                    .values(json=JSONObject(kind="kind", halal_route="halal_route", number="number",
                                            issued_on="issued_on", expires_on="expires_on",
                                            verification_status="verification_status")))
    photos = (PublicPhoto.objects.filter(business=OuterRef("pk")).order_by("id")
              .values(json=JSONObject(image="image", caption="caption")))
    return qs.annotate(public_certificates=ArraySubquery(certificates), public_photos=ArraySubquery(photos))


def _certificates(b: PublicBusiness) -> list[dict]:
    if hasattr(b, "public_certificates"):
        return [_json(c) for c in b.public_certificates]
    return [{"kind": c.kind, "halal_route": c.halal_route, "number": c.number,
             "issued_on": c.issued_on.isoformat() if c.issued_on else None,
             "expires_on": c.expires_on.isoformat() if c.expires_on else None,
             "verification_status": c.verification_status}
            for c in b.certificates.order_by("kind", "number")]


def _photos(b: PublicBusiness) -> list[dict]:
    if hasattr(b, "public_photos"):
        storage = PublicPhoto._meta.get_field("image").storage
        return [{"url": storage.url(p["image"]), "caption": p["caption"]} for p in map(_json, b.public_photos)]
    return [{"url": p.image.url, "caption": p.caption} for p in b.photos.order_by("id")]


def _json(value):
    # jsonb elements of an array arrive as text or already decoded,
    # depending on the driver's loaders.
    return json.loads(value) if isinstance(value, str) else value


def business_public_dict(b: PublicBusiness, *, distance_m: float | None = None) -> dict:
    """The public fields of a business (GeoJSON properties), from a row of
    the public view. A `Business` is refused: its columns are not the
    public ones."""
    from businesses.selectors import kbli_titles

    if not isinstance(b, PublicBusiness):
        raise TypeError("business_public_dict renders a PublicBusiness (the public view), not a Business")
    titles = kbli_titles(edition=b.kbli_edition)
    data = {
        "id": b.pk,
        "name": b.name,
        "description": b.description,
        "products": b.products,
        "sector": b.sector,
        "kbli": [{"code": c, "title": titles.get(c, "")} for c in b.kbli_codes],
        "kbli_edition": b.kbli_edition,
        "scale": b.scale or None,
        "scale_rule": b.scale_rule or None,
        "has_nib": b.has_nib,
        "nib": b.nib or None,
        "certificates": [
            {"kind": c["kind"], "halal_route": c["halal_route"] or None,
             "number": c["number"],
             "issued_on": c["issued_on"], "expires_on": c["expires_on"],
             "verification_status": c["verification_status"]}
            for c in _certificates(b)
        ],
        "contacts": [{"kind": c.get("kind"), "value": c.get("value")} for c in (b.contacts or [])],
        "opening_hours": b.opening_hours or {},
        "photos": _photos(b),
        "desa": {"code": b.desa.code, "name": b.desa.name} if b.desa_id else None,
        "kecamatan": {"code": b.kecamatan.code, "name": b.kecamatan.name} if b.kecamatan_id else None,
        "location_precision": "exact" if b.public_location_exact else "desa",
        "status": b.status,
        "verification_status": b.verification_status,
        "is_synthetic": b.is_synthetic,
    }
    if distance_m is not None:
        data["distance_m"] = round(distance_m, 1)
    return data


def business_public_feature(b: PublicBusiness, *, distance_m: float | None = None) -> dict:
    return {
        "type": "Feature",
        "id": b.pk,
        "geometry": {"type": "Point",
                     "coordinates": [round(b.public_location.x, 6), round(b.public_location.y, 6)]},
        "properties": business_public_dict(b, distance_m=distance_m),
    }
