"""What of a business the public may see (domain.md 7.5, 7.7; issue 16).

- Nothing is public before the Dinas verified the business AND the owner
  consented to be listed (consent kind "listing", latest decision wins; a
  withdrawal takes the business out of every public output). Pending,
  rejected, closed and unconsented businesses are not listed, counted,
  searched or tiled.
- Never public: the owner (`BusinessOwner`: name, NIK, home address, phone),
  the figures (`BusinessFinancials`: capital, annual sales; only the scale
  class is published), the audit trail, verifier notes, the OSS risk.
- The exact `location` of a home-based business is public only with the
  owner's recorded consent (kind "exact_location"); otherwise the business
  is shown at its desa point. `public_location` is computed here
  (`business_public_point`) and stored by the services, so that every public
  query (text, distance, bbox, tiles) runs on the public point and even the
  order of "near me" results cannot reveal a home.
- NIB and certificate numbers are published only with the owner's consent
  (kind "registration_numbers"); without it the output says that a NIB or a
  certificate exists, not its number.

These rules are written once, as the database views of migration
businesses.0006 (`businesses_public_business`, `_certificate`, `_photo`),
read as the unmanaged models `PublicBusiness`, `PublicCertificate` and
`PublicPhoto`. Every public output of businesses (API, OGC API, tiles,
exports, search, dashboard, portal) reads through `businesses_public()` or
the SQL rendering below, both on those views; the private tables are read
here only by the write helpers (`consent_granted`, `business_public_point`).
A public feature is spelled once, in SQL (`businesses_public_page_json()` and
its wrappers: a page leaves the database as one JSON string); the tests check
it against a Python reading of the same rows (tests/businesses/oracle.py).
tests/privacy checks that no public URL runs SQL on a private table of
businesses.
"""
from collections.abc import Mapping

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import QuerySet

from businesses.models import (Business, BusinessConsent, PublicBusiness, PublicCertificate, PublicPhoto,
                               Sector)

# Fallback when a desa has no boundary (6 of 123): a grid of 0.02 degrees
# (about 2.2 km at the equator) is coarser than any house-level precision.
_FALLBACK_GRID_DEG = 0.02

PUBLIC_FIELDS = [
    "id", "name", "description", "products", "sector", "kbli", "kbli_edition", "scale", "scale_rule",
    "has_nib", "nib", "certificates", "contacts", "opening_hours", "photos", "desa", "kecamatan",
    "location_precision", "status", "verification_status", "is_synthetic",
]


def consent_granted(*, business: Business, kind: str) -> bool:
    """The latest decision of this kind (no record = not granted)."""
    latest = (BusinessConsent.objects.filter(business_id=business.pk, kind=kind)
              .order_by("-recorded_at", "-id").values_list("granted", flat=True).first())
    return bool(latest)


def business_public_point(*, business: Business, exact_location_consent: bool,
                          desa_points: Mapping[str, tuple[float, float]] | None = None) -> Point:
    """The point the public may see: exact unless home-based without consent,
    then the desa point (ST_PointOnSurface of the desa, from
    geo.selectors.desa_centroids; pass `desa_points` code -> (lon, lat) when
    writing in bulk)."""
    srid = settings.GEO_STORAGE_SRID
    if not business.is_home_based or exact_location_consent:
        return Point(business.location.x, business.location.y, srid=srid)
    if desa_points is None:
        from geo.selectors import desa_centroids
        desa_points = {code: (lon, lat) for code, lon, lat in desa_centroids()}
    desa_code = business.desa.code if business.desa_id else None
    if desa_code in desa_points:
        lon, lat = desa_points[desa_code]
        return Point(lon, lat, srid=srid)
    g = _FALLBACK_GRID_DEG
    return Point(round(business.location.x / g) * g, round(business.location.y / g) * g, srid=srid)


def businesses_public() -> QuerySet[PublicBusiness]:
    """Businesses the public may see: rows of the public view (verified,
    active, listed with consent), public columns only."""
    return (PublicBusiness.objects.select_related("desa", "kecamatan")
            # The areas are published by code and name only; their points
            # would be parsed into GEOS objects for nothing.
            .defer("desa__source_centroid", "kecamatan__source_centroid"))


BUSINESS_COUNT_GROUPS = ("sector", "desa", "kecamatan", "scale")


def business_counts_public(*, group_by: str) -> list[dict]:
    """Public businesses counted per sector, desa, kecamatan or scale, largest
    first: [{"code", "label", "count"}]. The label is the sector or scale in
    the active language, or the area's name (with its code when two areas
    share a name). Exact counts: every counted business is a row of the
    public listing (OGC `businesses`, exports) with its sector, scale, desa
    and kecamatan, so a count says nothing the listing does not, and a
    suppressed count would be recovered by counting the listing."""
    from django.db.models import Count

    from businesses.models import Scale

    if group_by not in BUSINESS_COUNT_GROUPS:
        raise ValueError(f"group_by must be one of {BUSINESS_COUNT_GROUPS}")
    qs = PublicBusiness.objects.order_by()
    if group_by in ("sector", "scale"):
        choices = dict((Sector if group_by == "sector" else Scale).choices)
        rows = [{"code": r[group_by], "label": str(choices.get(r[group_by], r[group_by])), "count": r["n"]}
                for r in qs.values(group_by).annotate(n=Count("id"))]
    else:
        rows = [{"code": r[f"{group_by}__code"], "label": r[f"{group_by}__name"], "count": r["n"]}
                for r in qs.values(f"{group_by}__code", f"{group_by}__name").annotate(n=Count("id"))]
        names = [r["label"] for r in rows]
        for r in rows:
            if names.count(r["label"]) > 1:
                r["label"] = f"{r['label']} ({r['code']})"
    rows.sort(key=lambda r: (-r["count"], r["label"] or ""))
    return rows


# --- the public feature, built in SQL ----------------------------------------
#
# The one spelling of a public business as GeoJSON: every output that shows a
# business as a Feature (the API's pages and detail) renders it here. One Feature
# per row of `b` (the view businesses_public_business), `d` and `k` (its desa and
# kecamatan) and `p` (the page: id, distance_m, ord); json, not jsonb (which would
# reorder keys). Positional parameters: _feature_params() before the page's. The
# rows are the view's, so no filter is repeated here. tests/businesses/oracle.py
# reads the same rows in Python, field by field, as the tests' oracle.
_PROPERTIES_SQL = """json_build_object(
    'id', b.id, 'name', b.name, 'description', b.description, 'products', b.products, 'sector', b.sector,
    'kbli', COALESCE((SELECT json_agg(json_build_object('code', c.code, 'title', COALESCE(t.title, ''))
                                      ORDER BY c.n)
                        FROM unnest(b.kbli_codes) WITH ORDINALITY AS c(code, n)
                        LEFT JOIN businesses_kblicode t ON t.edition = b.kbli_edition AND t.code = c.code),
                     '[]'::json),
    'kbli_edition', b.kbli_edition,
    'scale', NULLIF(b.scale, ''), 'scale_rule', NULLIF(b.scale_rule, ''),
    'has_nib', b.has_nib,
    'nib', b.nib,
    'certificates', COALESCE((SELECT json_agg(json_build_object(
                                  'kind', c.kind, 'halal_route', NULLIF(c.halal_route, ''),
                                  'number', c.number,
                                  'issued_on', c.issued_on, 'expires_on', c.expires_on,
                                  'verification_status', c.verification_status) ORDER BY c.kind, c.number)
                                FROM businesses_public_certificate c
                               WHERE c.business_id = b.id),
                             '[]'::json),
    'contacts', COALESCE((SELECT json_agg(json_build_object('kind', e -> 'kind', 'value', e -> 'value')
                                          ORDER BY n)
                            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(b.contacts) = 'array'
                                                           THEN b.contacts ELSE '[]' END)
                                 WITH ORDINALITY AS x(e, n)),
                         '[]'::json),
    'opening_hours', COALESCE(NULLIF(NULLIF(b.opening_hours, 'null'), '[]'), '{{}}'),
    'photos', COALESCE((SELECT json_agg(json_build_object('url', %s || ph.image, 'caption', ph.caption)
                                        ORDER BY ph.id)
                          FROM businesses_public_photo ph WHERE ph.business_id = b.id),
                       '[]'::json),
    'desa', CASE WHEN d.id IS NOT NULL THEN json_build_object('code', d.code, 'name', d.name) END,
    'kecamatan', CASE WHEN k.id IS NOT NULL THEN json_build_object('code', k.code, 'name', k.name) END,
    'location_precision', CASE WHEN b.public_location_exact THEN 'exact' ELSE 'desa' END,
    'status', b.status, 'verification_status', b.verification_status, 'is_synthetic', b.is_synthetic
    {distance})"""

# Coordinates: 6 decimals (about 10 cm).
_FEATURE_SQL = ("json_build_object('type', 'Feature', 'id', b.id, "
                "'geometry', ST_AsGeoJSON(b.public_location, 6)::json, 'properties', " + _PROPERTIES_SQL + ")")

_FROM_SQL = """
  JOIN businesses_public_business b ON b.id = p.id
  LEFT JOIN geo_area d ON d.id = b.desa_id
  LEFT JOIN geo_area k ON k.id = b.kecamatan_id"""


def _media_url() -> str:
    # FileSystemStorage.url(name) is MEDIA_URL + name quoted for a URL; the
    # names Django gives uploads (get_valid_name) need no quoting.
    return PublicPhoto._meta.get_field("image").storage.url("")


def _feature_params() -> list:
    return [_media_url()]


def businesses_public_page_json(*, sql: str, params: list, limit: int, with_distance: bool
                                ) -> tuple[str, int, int]:
    """One statement: the public Features of a page given as SQL (`sql`,
    `params`: rows of id, distance_m in metres or NULL, ord from 1), as
    (JSON array as text, features in it, rows of the page). Rows after
    `limit` are counted, not rendered (a page fetches limit + 1 to know
    whether there is a next one). Ids that are not public (any more) are
    left out: the page is joined to the public view again here."""
    distance = ", 'distance_m', round(p.distance_m::numeric, 1)" if with_distance else ""
    statement = (f"SELECT COALESCE(json_agg({_FEATURE_SQL.format(distance=distance)} ORDER BY p.ord) "
                 f"FILTER (WHERE p.ord <= %s), '[]'::json)::text, "
                 f"count(*) FILTER (WHERE p.ord <= %s), count(*) "
                 f"FROM ({sql}) AS p{_FROM_SQL}")
    with connection.cursor() as cursor:
        cursor.execute(statement, [*_feature_params(), limit, limit, *params])
        return cursor.fetchone()


def businesses_public_features_json(rows: list[tuple[int, float | None]]) -> tuple[str, int]:
    """(JSON array of public Features as text, its length) for `rows` of
    (business id, distance in metres or None), in that order."""
    features, returned, _rows = businesses_public_page_json(
        sql="SELECT * FROM unnest(%s::bigint[], %s::float8[]) WITH ORDINALITY AS p(id, distance_m, ord)",
        params=[[i for i, _d in rows], [d for _i, d in rows]], limit=len(rows),
        with_distance=any(d is not None for _i, d in rows))
    return features, returned


def business_public_feature_json(business_id: int) -> str | None:
    """One public Feature as JSON text, or None (unknown or not public)."""
    if not -2**63 <= business_id < 2**63:  # no such id, and PostgreSQL's bigint would refuse it
        return None
    sql = f"SELECT ({_FEATURE_SQL.format(distance='')})::text FROM (SELECT %s::bigint AS id) AS p{_FROM_SQL}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_feature_params(), business_id])
        row = cursor.fetchone()
    return row[0] if row else None


