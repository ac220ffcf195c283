"""Reads of businesses: public search (through layers.policy.businesses),
owner and verifier views, and the agency's statistics."""
import datetime
import functools
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.contrib.postgres.search import TrigramWordDistance
from django.db import connection, transaction
from django.db.models import BooleanField, Count, FloatField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, TruncMonth

from layers.policy.businesses import businesses_public, businesses_public_for_output

from .models import Business, Certificate, KbliCode, Verification

SRID = settings.GEO_STORAGE_SRID
LOCAL_TZ = ZoneInfo("Asia/Pontianak")


@functools.lru_cache(maxsize=4)
def kbli_titles(*, edition: str) -> dict[str, str]:
    """code -> title of one KBLI edition (reference data, cached per process)."""
    return dict(KbliCode.objects.filter(edition=edition).values_list("code", "title"))


def kbli_get_many(*, codes: list[str], edition: str) -> dict[str, KbliCode]:
    return {k.code: k for k in KbliCode.objects.filter(edition=edition, code__in=codes)}


def normalised(text: str) -> Func:
    """The query in the form of the stored search document (same SQL function)."""
    return Func(Value(text), function="businesses_normalise")


class WordSimilar(Func):
    """`document %> query`: word_similarity(query, document) reaches
    pg_trgm.word_similarity_threshold (0.6); served by the GIN trigram index.
    (django.contrib.postgres's lookup needs that app installed; this is the
    same operator.)"""

    arg_joiner = " %%> "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class KnnDistance(Func):
    """`a <-> b` on geography: index-assisted nearest-first ordering (PostGIS
    KNN on the functional geography index). GeometryDistance would cast to
    geometry and order by degrees."""

    arg_joiner = " <-> "
    template = "(%(expressions)s)"
    output_field = FloatField()


def certificate_valid_q(*, kind: str, on: datetime.date | None = None) -> Q:
    """Verified and not expired on `on` (today in WIB by default)."""
    on = on or datetime.datetime.now(LOCAL_TZ).date()
    return (Q(kind=kind, verification_status=Verification.VERIFIED)
            & (Q(expires_on__isnull=True) | Q(expires_on__gte=on)))


def businesses_search(*, q: str = "", sector: str = "", scale: str = "", certificate: str = "",
                      desa_code: str = "", kecamatan_code: str = "",
                      near: tuple[float, float] | None = None, radius_m: float | None = None,
                      bbox: tuple[float, float, float, float] | None = None) -> QuerySet[Business]:
    """Public search. Every spatial predicate runs on `public_location`, never
    on the exact point (see layers.policy.businesses).

    Order: by distance when `near` is given (annotation `distance_m`, metres on
    the spheroid), else by text similarity when `q` is given, else by name.
    """
    qs = businesses_public()
    if sector:
        qs = qs.filter(sector=sector)
    if scale:
        qs = qs.filter(scale=scale)
    if certificate:
        qs = qs.filter(Exists(Certificate.objects.filter(certificate_valid_q(kind=certificate),
                                                         business=OuterRef("pk"))))
    if desa_code:
        qs = qs.filter(desa__code=desa_code)
    if kecamatan_code:
        qs = qs.filter(kecamatan__code=kecamatan_code)
    if bbox:
        # && on the bare column (GiST); the constant is already EPSG:4326.
        qs = qs.filter(public_location__bboverlaps=Polygon.from_bbox(bbox))
    order = []
    if q:
        qs = qs.filter(WordSimilar(F("search_text"), normalised(q)))
        qs = qs.annotate(text_distance=TrigramWordDistance(normalised(q), "search_text"))
        order = ["text_distance"]
    if near:
        point = Point(near[0], near[1], srid=SRID)
        # Cast to geography so that the radius is in metres and the
        # functional index on (public_location::geography) applies.
        qs = qs.annotate(public_geog=Cast("public_location", PointField(srid=SRID, geography=True)))
        if radius_m is not None:
            qs = qs.filter(public_geog__dwithin=(point, D(m=radius_m)))
        qs = qs.annotate(distance_m=Distance("public_geog", point),
                         knn=KnnDistance(F("public_geog"),
                                         Cast(Value(point.ewkt), PointField(srid=SRID, geography=True))))
        order = ["knn"]
    return qs.order_by(*order, "name", "id")


# pg_trgm's default word-similarity threshold (0.6) misses one-letter typos
# in short Indonesian words ("bakzo" ~ "bakso" scores 0.5); 0.45 keeps them
# while unrelated words stay below. Set per transaction (SET LOCAL), so the
# GIN index still serves the %> operator.
WORD_SIMILARITY_THRESHOLD = "0.45"


def businesses_search_page(*, limit: int, offset: int, **filters) -> list[Business]:
    """One page of businesses_search(**filters), prefetched for the public
    output, evaluated with the search threshold in force. Fetches up to
    limit + 1 rows so the caller can tell whether a next page exists."""
    qs = businesses_public_for_output(businesses_search(**filters))[offset:offset + limit + 1]
    with transaction.atomic():
        if filters.get("q"):
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                               [WORD_SIMILARITY_THRESHOLD])
        return list(qs)


def business_get_public(*, business_id: int) -> Business | None:
    return businesses_public().filter(pk=business_id).first()


def businesses_of_owner(*, user) -> QuerySet[Business]:
    return (Business.objects.filter(owner__user=user).select_related("desa", "kecamatan", "owner")
            .prefetch_related("certificates", "consents").order_by("name", "id"))


def businesses_pending_verification() -> QuerySet[Business]:
    return (Business.objects.filter(verification_status=Verification.PENDING)
            .select_related("desa", "kecamatan").order_by("updated_at", "id"))


# --- statistics for the agency (role-gated; not a public output) -----------

_GROUP_FIELDS = {"desa": ("desa__code", "desa__name"), "kecamatan": ("kecamatan__code", "kecamatan__name")}


def _group_fields(group_by: str) -> tuple[str, str]:
    if group_by not in _GROUP_FIELDS:
        raise ValueError(f"group_by must be one of {sorted(_GROUP_FIELDS)}")
    return _GROUP_FIELDS[group_by]


def business_counts(*, group_by: str = "kecamatan", include_synthetic: bool = True) -> list[dict]:
    """Active businesses per area, sector and scale."""
    code, name = _group_fields(group_by)
    qs = Business.objects.filter(status=Business.Status.ACTIVE)
    if not include_synthetic:
        qs = qs.filter(is_synthetic=False)
    rows = (qs.values(code, name, "sector", "scale").annotate(count=Count("id"))
            .order_by(code, "sector", "scale"))
    return [{"area_code": r[code], "area_name": r[name], "sector": r["sector"], "scale": r["scale"],
             "count": r["count"]} for r in rows]


def certificate_coverage(*, group_by: str = "kecamatan", on: datetime.date | None = None) -> list[dict]:
    """Food and drink businesses per area: how many hold a valid halal
    certificate, a valid P-IRT, either, and neither."""
    code, name = _group_fields(group_by)
    halal = Exists(Certificate.objects.filter(certificate_valid_q(kind=Certificate.Kind.HALAL, on=on),
                                              business=OuterRef("pk")))
    pirt = Exists(Certificate.objects.filter(certificate_valid_q(kind=Certificate.Kind.PIRT, on=on),
                                             business=OuterRef("pk")))
    rows = (Business.objects.filter(status=Business.Status.ACTIVE, is_food=True)
            .annotate(has_halal=halal, has_pirt=pirt)
            .values(code, name)
            .annotate(food=Count("id"),
                      with_halal=Count("id", filter=Q(has_halal=True)),
                      with_pirt=Count("id", filter=Q(has_pirt=True)),
                      without_halal_or_pirt=Count("id", filter=Q(has_halal=False, has_pirt=False)))
            .order_by(code))
    return [{"area_code": r[code], "area_name": r[name], "food": r["food"], "with_halal": r["with_halal"],
             "with_pirt": r["with_pirt"], "without_halal_or_pirt": r["without_halal_or_pirt"]} for r in rows]


def business_new_per_month(*, include_synthetic: bool = True) -> list[dict]:
    """Businesses added to the directory per month (WIB)."""
    qs = Business.objects.all()
    if not include_synthetic:
        qs = qs.filter(is_synthetic=False)
    rows = (qs.annotate(month=TruncMonth("created_at", tzinfo=LOCAL_TZ)).values("month")
            .annotate(count=Count("id")).order_by("month"))
    return [{"month": r["month"].strftime("%Y-%m"), "count": r["count"]} for r in rows]
