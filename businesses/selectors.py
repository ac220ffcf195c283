"""Reads of businesses: public search (on the public view, through
businesses.policy: PublicBusiness, PublicCertificate), owner and
verifier views, and the agency's statistics (private tables, role-gated)."""
import datetime
import functools
import operator
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db import connection
from django.db.models import BooleanField, Case, Count, Exists, F, FloatField, Func, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Cast, TruncMonth

from accounts.models import Role
from accounts.selectors import user_regency_codes
from businesses.policy import businesses_public

from .models import Business, Certificate, KbliCode, PublicBusiness, PublicCertificate, Verification, search_words

SRID = settings.GEO_STORAGE_SRID
LOCAL_TZ = ZoneInfo("Asia/Pontianak")


@functools.lru_cache(maxsize=4)
def kbli_titles(*, edition: str) -> dict[str, str]:
    """code -> title of one KBLI edition (reference data, cached per process)."""
    return dict(KbliCode.objects.filter(edition=edition).values_list("code", "title"))


def kbli_get_many(*, codes: list[str], edition: str) -> dict[str, KbliCode]:
    return {k.code: k for k in KbliCode.objects.filter(edition=edition, code__in=codes)}


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


# --- public search ---------------------------------------------------------
#
# Text search resolves typos on the dictionary of document words
# (SearchWord, a few hundred rows), never on the businesses: each query word
# (normalised like the documents: businesses_normalise) expands to the
# dictionary words whose pg_trgm word similarity to it reaches
# WORD_SIMILARITY_THRESHOLD, best first. A business matches when, for every
# query word that expands at all, it contains one of its expansions (exact
# array overlap on the GIN index of search_words()), or at least for one of
# them, ranked after; words that expand to nothing are ignored, and a query
# none of whose words expands matches nothing. Ranking is by tier, then id
# (the order of registration): a business containing the query words
# exactly comes first; for a one-word query the fuzzy matches follow in
# bands of equal similarity. Each tier is
# an index-friendly filter read separately, so a page of a common word
# ("kripik", ~5 % of the directory) walks the primary key until the page is
# full instead of ranking every match; a rare one is a bitmap scan and a
# small sort. (Not name order within a tier: names repeat the products, so
# a walk in name order would read every business before the "t" of
# "tempe".)

# pg_trgm's default word-similarity threshold (0.6) misses one-letter typos
# in short Indonesian words ("bakzo" ~ "bakso" scores 0.5); 0.45 keeps them
# while unrelated words stay below.
WORD_SIMILARITY_THRESHOLD = 0.45
MAX_QUERY_WORDS = 6
MAX_EXPANSIONS = 20
MAX_FUZZY_BANDS = 4


@dataclass(frozen=True)
class TextQuery:
    """A query's words and, per word, its dictionary expansions (best first,
    each as (word, word_similarity, similarity))."""

    words: tuple[str, ...]
    expansions: tuple[tuple[tuple[str, float, float], ...], ...]

    @property
    def matchable(self) -> list[int]:
        return [k for k, expansion in enumerate(self.expansions) if expansion]


def text_query_parse(q: str) -> TextQuery:
    """Normalise `q` (same SQL function as the documents) and expand each
    word against the dictionary, in one statement."""
    with connection.cursor() as cursor:
        # Raw SQL: a lateral join over the query's words with a per-word
        # ranked limit. The threshold is compared explicitly rather than
        # through %> and SET LOCAL: the dictionary is small enough to scan,
        # and one statement outside a transaction saves three round trips
        # (BEGIN, set_config, COMMIT) per search.
        cursor.execute(
            """
            SELECT q.ord, q.qw, x.word, x.ws, x.s
              FROM unnest((string_to_array(public.businesses_normalise(%s), ' '))[1:%s])
                   WITH ORDINALITY AS q(qw, ord)
              LEFT JOIN LATERAL (
                    SELECT w.word, word_similarity(q.qw, w.word) AS ws, similarity(q.qw, w.word) AS s
                      FROM businesses_searchword w
                     WHERE word_similarity(q.qw, w.word) >= %s
                     ORDER BY 2 DESC, 3 DESC, 1
                     LIMIT %s) x ON true
             WHERE q.qw <> ''
             ORDER BY q.ord, x.ws DESC, x.s DESC, x.word
            """, [q, MAX_QUERY_WORDS, WORD_SIMILARITY_THRESHOLD, MAX_EXPANSIONS])
        rows = cursor.fetchall()
    words: dict[str, list] = {}
    for _ord, word, expansion, ws, s in rows:
        found = words.setdefault(word, [])
        if expansion is not None:
            found.append((expansion, round(ws, 4), round(s, 4)))
    return TextQuery(words=tuple(words), expansions=tuple(tuple(e) for e in words.values()))


def _overlap(words) -> Q:
    return Q(search_words__overlap=sorted(set(words)))


def _text_tiers(text: TextQuery) -> list[Q]:
    """Disjoint filters, in rank order, whose union is the text match."""
    ks = text.matchable
    if not ks:
        return []
    match = Q()
    for k in ks:
        match &= _overlap(w for w, _ws, _s in text.expansions[k])
    # Exact: every expanding query word is itself a dictionary word and is present.
    exact_possible = all(text.expansions[k][0][0] == text.words[k] for k in ks)
    exact = Q(search_words__contains=sorted({text.words[k] for k in ks})) if exact_possible else None
    if len(ks) > 1:
        # Then businesses with only some of the words ("soesoe kedelai"
        # still finds the soy businesses when no one sells soy milk).
        some = functools.reduce(operator.or_, [_overlap(w for w, _ws, _s in text.expansions[k]) for k in ks])
        if exact is None:
            tiers = [match]
        elif all(len(text.expansions[k]) == 1 for k in ks):
            tiers = [exact]  # each word expands to itself only: match is exact
        else:
            tiers = [exact, match & ~exact]
        return [*tiers, some & ~match]
    # One word: bands of equal (word similarity, similarity), best first;
    # the first band is the exact word when it exists.
    bands: list[list[str]] = []
    last = None
    for word, ws, s in text.expansions[ks[0]]:
        if (ws, s) != last and len(bands) < MAX_FUZZY_BANDS:
            bands.append([])
            last = (ws, s)
        bands[-1].append(word)
    tiers, seen = [], []
    for band in bands:
        tier = _overlap(band)
        if seen:
            tier &= ~_overlap(seen)
        tiers.append(tier)
        seen += band
    return tiers


def _search_filtered(*, sector: str = "", scale: str = "", certificate: str = "", desa_code: str = "",
                     kecamatan_code: str = "", bbox: tuple[float, float, float, float] | None = None
                     ) -> QuerySet[PublicBusiness]:
    qs = businesses_public()
    if sector:
        qs = qs.filter(sector=sector)
    if scale:
        qs = qs.filter(scale=scale)
    if certificate:
        qs = qs.filter(Exists(PublicCertificate.objects.filter(certificate_valid_q(kind=certificate),
                                                               business=OuterRef("pk"))))
    if desa_code:
        qs = qs.filter(desa__code=desa_code)
    if kecamatan_code:
        qs = qs.filter(kecamatan__code=kecamatan_code)
    if bbox:
        # && on the bare column (GiST); the constant is already EPSG:4326.
        qs = qs.filter(public_location__bboverlaps=Polygon.from_bbox(bbox))
    return qs


class BoxOverlaps(Func):
    """`a && b`: bounding boxes overlap (index condition)."""

    arg_joiner = " && "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _near(qs: QuerySet[PublicBusiness], *, near: tuple[float, float], radius_m: float | None) -> QuerySet[PublicBusiness]:
    point = Point(near[0], near[1], srid=SRID)
    geog = Cast(Value(point.ewkt), PointField(srid=SRID, geography=True))
    # Cast to geography so that distances are in metres and the functional
    # index on (public_location::geography) applies.
    qs = qs.annotate(public_geog=Cast("public_location", PointField(srid=SRID, geography=True)),
                     distance_m=Distance("public_geog", point),
                     knn=KnnDistance(F("public_geog"), geog))
    if radius_m is not None:
        # The radius as an index box (_ST_Expand: what ST_DWithin's own index
        # condition is) and the exact spheroid distance. Not ST_DWithin
        # itself: the planner estimates it at a handful of rows and then
        # sorts every business in the radius (thousands near a town centre)
        # instead of reading the nearest ones from the index.
        qs = qs.filter(BoxOverlaps(F("public_geog"), Func(geog, Value(float(radius_m)), function="_ST_Expand")),
                       distance_m__lte=D(m=radius_m))
    return qs


def _search(*, q: str = "", near: tuple[float, float] | None = None, radius_m: float | None = None,
            **filters) -> tuple[QuerySet[PublicBusiness], list[Q]] | None:
    """(filtered queryset, text tiers) or None when the text matches nothing."""
    qs = _search_filtered(**filters)
    tiers = [Q()]
    if q:
        qs = qs.annotate(search_words=search_words())
        tiers = _text_tiers(text_query_parse(q))
        if not tiers:
            return None
    if near:
        match = functools.reduce(operator.or_, tiers)
        return _near(qs.filter(match), near=near, radius_m=radius_m), [Q()]
    return qs, tiers


def businesses_search_tiers(**filters) -> list[QuerySet[PublicBusiness]]:
    """The public search as consecutive, disjoint, ordered querysets: the
    result is their concatenation. Every spatial predicate runs on
    `public_location`, never on the exact point (see businesses.policy).

    Filters: q, sector, scale, certificate, desa_code, kecamatan_code, bbox,
    near (lon, lat) with radius_m. Order: by distance when `near` is given
    (annotation `distance_m`, metres on the spheroid; `q` then only
    filters), else by text tier and id when `q` is given (see above), else
    by name and id.
    """
    found = _search(**filters)
    if found is None:
        return []
    qs, tiers = found
    if filters.get("near"):
        order = ["knn", "name", "id"]
    elif filters.get("q"):
        order = ["id"]
    else:
        order = ["name", "id"]
    return [qs.filter(tier).order_by(*order) for tier in tiers]


def businesses_search(**filters) -> QuerySet[PublicBusiness]:
    """The same rows in the same order as one queryset (ranks every match
    before paging: businesses_search_page is faster)."""
    found = _search(**filters)
    if found is None:
        return businesses_public().none()
    qs, tiers = found
    if filters.get("near"):
        return qs.order_by("knn", "name", "id")
    if len(tiers) > 1:
        qs = qs.annotate(text_tier=Case(*[When(tier, then=Value(i)) for i, tier in enumerate(tiers)],
                                        output_field=IntegerField()))
        return qs.filter(functools.reduce(operator.or_, tiers)).order_by("text_tier", "id")
    return qs.filter(tiers[0]).order_by("id" if filters.get("q") else "name", "id")


# First pages of a text tier look at the first WINDOW businesses by id
# before anything else: a primary-key range scan of a few thousand rows.
# When the matches among them fill the page they are the page, whatever the
# window (everything before them was examined); otherwise the whole tier is
# read. This saves visiting every match of a common word (thousands of heap
# pages) to return the first twenty, and the planner cannot see it on its
# own: it multiplies the frequencies of the words of "bengkel motor" as if
# they were independent.
WINDOW = 2000
_WINDOW_TTL_S = 600
_window_bound: tuple[float, int | None] = (0.0, None)


def _window_last_id() -> int | None:
    """Id of the WINDOW-th business (cached per process: any value is
    correct, a recent one is efficient)."""
    global _window_bound
    fetched_at, bound = _window_bound
    if time.monotonic() - fetched_at > _WINDOW_TTL_S:
        bound = PublicBusiness.objects.order_by("id").values_list("id", flat=True)[WINDOW - 1:WINDOW].first()
        _window_bound = (time.monotonic(), bound)
    return bound


def businesses_search_page(*, limit: int, offset: int, **filters) -> list[PublicBusiness]:
    """One page of the search as PublicBusiness rows (the page the API renders
    through businesses_search_page_query). Fetches up to limit + 1 rows so the
    caller can tell whether a next page exists."""
    return _search_page(limit=limit, offset=offset, rows=lambda qs: qs, **filters)


@dataclass(frozen=True)
class PageQuery:
    """A page of the search as SQL for
    businesses.policy.businesses_public_page_json: rows of (id,
    distance_m, ord), up to limit + 1 of them."""

    sql: str
    params: list
    with_distance: bool


def businesses_search_page_query(*, limit: int, offset: int, **filters) -> PageQuery:
    """The page of businesses_search_page as SQL, so that the API renders it
    in the same statement that selects it. A text query still reads its
    tiers here (they are consecutive statements); the page is then its ids."""
    want = offset + limit + 1
    if filters.get("near"):
        qs = _near_page_queryset(limit=limit, offset=offset, **filters)
        sql, params = qs.values("id", "distance_m", "knn", "name")[offset:want].query.sql_with_params()
        return PageQuery(f"SELECT s.id, s.distance_m, row_number() OVER (ORDER BY s.knn, s.name, s.id) AS ord "
                         f"FROM ({sql}) AS s", list(params), with_distance=True)
    if not filters.get("q"):
        (qs,) = businesses_search_tiers(**filters)
        sql, params = qs.values("id", "name")[offset:want].query.sql_with_params()
        return PageQuery(f"SELECT s.id, NULL::float8 AS distance_m, "
                         f"row_number() OVER (ORDER BY s.name, s.id) AS ord FROM ({sql}) AS s", list(params), with_distance=False)
    ids = _search_page(limit=limit, offset=offset, rows=lambda qs: qs.values_list("id", flat=True), **filters)
    return PageQuery("SELECT p.id, NULL::float8 AS distance_m, p.ord FROM unnest(%s::bigint[]) WITH ORDINALITY "
                     "AS p(id, ord)", [ids], with_distance=False)


def _search_page(*, limit: int, offset: int, rows, **filters) -> list:
    """Tiers are read in order and a tier is counted only when the page
    starts beyond it. `rows` turns a queryset of the page into what is
    fetched (instances or values)."""
    if filters.get("near"):
        return _near_page(limit=limit, offset=offset, rows=rows, **filters)
    page: list = []
    skip, need = offset, limit + 1
    tiers = businesses_search_tiers(**filters)
    windowed = bool(filters.get("q"))
    for tier in tiers:
        tier = rows(tier)
        if skip:
            found = list(tier[skip:skip + need])
            if not found:
                skip = max(0, skip - tier.count())
                continue
            skip = 0
        else:
            found = []
            bound = _window_last_id() if windowed else None
            if bound is not None:
                found = list(tier.filter(id__lte=bound)[:need])
            if len(found) < need:
                found = list(tier[:need])
        page += found
        need -= len(found)
        if need <= 0:
            break
    return page


def _near_page(*, limit: int, offset: int, rows, **filters) -> list:
    return list(rows(_near_page_queryset(limit=limit, offset=offset, **filters))[offset:offset + limit + 1])


def _near_page_queryset(*, limit: int, offset: int, **filters) -> QuerySet[PublicBusiness]:
    """A page by distance, name and id in two index-friendly statements. An
    index scan in distance order cannot also order by name, so first the
    distance of the last row of the page is read from the KNN index (here),
    then the businesses up to that distance (a small box) are sorted in full
    (the queryset returned, to slice [offset:offset + limit + 1]):
    businesses at the same distance (home-based ones share their desa point)
    are all there to be ordered by name."""
    (qs,) = businesses_search_tiers(**filters)
    want = offset + limit + 1
    last = qs.order_by("knn").values_list("knn", flat=True)[want - 1:want].first()
    if last is not None:
        # knn is the distance on the sphere, distance_m on the spheroid
        # (within 0.5 %): the box is widened, the cut is on knn itself.
        geog = qs.query.annotations["knn"].source_expressions[1]
        qs = qs.filter(BoxOverlaps(F("public_geog"), Func(geog, Value(last * 1.01 + 1), function="_ST_Expand")),
                       knn__lte=last)
    return qs.order_by("knn", "name", "id")


def businesses_of_owner(*, user) -> QuerySet[Business]:
    return (Business.objects.filter(owner__user=user).select_related("desa", "kecamatan", "owner")
            .prefetch_related("certificates", "consents").order_by("name", "id"))


def businesses_pending_verification(*, user) -> QuerySet[Business]:
    """The verification queue of a UMKM verifier: their regency's businesses only."""
    return (Business.objects.filter(verification_status=Verification.PENDING,
                                    regency_code__in=user_regency_codes(user=user, roles=[Role.UMKM_VERIFIER]))
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
