"""Reads: who may speak for an area, which subscriptions an area reaches (one
statement), what residents see."""
from django.db import connection
from django.db.models import Q

from accounts.models import Role
from accounts.selectors import memberships_active
from geo.models import Area, Agency
from geo.selectors import edition_current

from .geometry import Target

AGENCY_SPEAKERS = (Role.AGENCY_STAFF, Role.AGENCY_HEAD, Role.COORDINATOR)
APPROVER_AGENCY = "bpbd"


def agency_desa_codes(agency: Agency) -> set[str]:
    """Desa an agency's service areas cover (codes at any level, or geometry)."""
    edition = edition_current()
    codes, has_geom = set(), False
    for sa in agency.service_areas.all():
        codes |= set(sa.area_codes)
        has_geom = has_geom or sa.geom is not None
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(code=code) | Q(code__startswith=code + ".")
    desa = set(Area.objects.filter(edition=edition, level=Area.Level.DESA).filter(q).values_list("code", flat=True))
    if has_geom:
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT DISTINCT p.code FROM geo_areapart AS p JOIN geo_serviceareapart AS s ON p.geom && s.geom
                  JOIN geo_servicearea AS sa ON sa.id = s.service_area_id
                 WHERE sa.agency_id = %s AND p.edition_id = %s AND p.level = 'desa'
                   AND ST_Intersects(p.geom, s.geom)""", [agency.id, edition.id])
            desa |= {r[0] for r in cursor.fetchall()}
    return desa


def _target_desa(target: Target) -> set[str]:
    return set(target.reach_desa) | {c.split("/")[0] for c in target.target_codes if "/" in c}


def speakers_for(*, user, target: Target) -> list[tuple[Agency | None, Area | None]]:
    """Every (agency, area) the user may speak as for this target: agencies
    for their service areas (the regency-wide ones anywhere), camat for their
    kecamatan, desa operators for their desa, ketua RT for their RT only."""
    desa = _target_desa(target)
    units = [c for c in target.target_codes if "/" in c]
    out = []
    for m in memberships_active(user=user):
        if m.role in AGENCY_SPEAKERS and m.agency_id:
            if desa and desa <= agency_desa_codes(m.agency):
                out.append((m.agency, None))
        elif m.role == Role.CAMAT and m.area_id and m.area.level == Area.Level.KECAMATAN:
            if desa and all(Area.parent_code_of(d) == m.area.code for d in desa):
                out.append((None, m.area))
        elif m.role == Role.DESA_OPERATOR and m.area_id and m.area.level == Area.Level.DESA:
            if desa == {m.area.code}:
                out.append((None, m.area))
        elif m.role == Role.KETUA_RT and m.area_id and m.area.level == Area.Level.RT:
            if target.kind == "codes" and units and all(u == m.area.code for u in target.target_codes):
                out.append((None, m.area))
    return out


def user_may_publish_directly(*, user, kind: str, agency: Agency | None) -> bool:
    """Emergencies need BPBD or an agency head; other kinds the speaker."""
    from .models import Kind

    if kind != Kind.EMERGENCY:
        return True
    return user_may_approve(user=user, agency=agency)


def user_may_approve(*, user, agency: Agency | None) -> bool:
    for m in memberships_active(user=user):
        if m.agency_id and m.agency.code == APPROVER_AGENCY and m.role in (Role.AGENCY_STAFF, Role.AGENCY_HEAD):
            return True
        if m.role == Role.AGENCY_HEAD and agency is not None and m.agency_id == agency.id:
            return True
    return False


# One statement on two indexes: the GiST index of the circles (`reach && g`)
# and the btree of area codes, OR-ed by a BitmapOr. Report subscriptions are
# not announcement recipients.
MATCH_SQL = """
SELECT s.id FROM announcements_subscription AS s
 WHERE s.active AND s.wants_announcements
   AND ((s.target = 'point' AND s.reach && %(g)s::geometry AND ST_Intersects(s.reach, %(g)s::geometry))
        OR (s.target = 'area' AND s.area_code = ANY(%(codes)s)))
"""


def match_params(*, geom, codes: list[str]) -> dict:
    return {"g": bytes(geom.ewkb).hex() if geom is not None else None, "codes": list(codes)}


def announcements_manageable(*, user):
    """What the staff page lists for a user: announcements they wrote, or
    whose speaker is an agency or area they act for; drafts first."""
    from django.db.models import Case, IntegerField, Value, When

    from accounts.selectors import user_agency_ids, user_area_ids

    from .models import Announcement

    agencies = user_agency_ids(user=user, roles=list(AGENCY_SPEAKERS))
    areas = user_area_ids(user=user, roles=[Role.CAMAT, Role.DESA_OPERATOR, Role.KETUA_RT])
    S = Announcement.Status
    order = Case(When(status=S.DRAFT, then=Value(0)), When(status=S.PENDING, then=Value(1)),
                 When(status=S.PUBLISHED, then=Value(2)), default=Value(3), output_field=IntegerField())
    return (Announcement.objects.filter(Q(author=user) | Q(agency_id__in=agencies) | Q(speaker_area_id__in=areas))
            .select_related("agency", "speaker_area").prefetch_related("attachments")
            .order_by(order, "-updated_at", "-id"))


def announcements_for_user_places(*, user, now):
    """Active announcements for the places the user follows (desa,
    kecamatan or RT codes, and circles): the resident's "for my place" list."""
    from announcements import policy as policy

    from .models import Subscription

    subs = Subscription.objects.filter(user=user, active=True, wants_announcements=True)
    codes = [s.area_code for s in subs if s.area_code]
    reaches = [s.reach for s in subs if s.reach is not None]
    qs = policy.announcements_active(now=now)
    ids = set(qs.filter(reach_codes__overlap=codes).values_list("id", flat=True)) if codes else set()
    for reach in reaches:
        ids |= set(qs.filter(geom__intersects=reach).values_list("id", flat=True))
    return qs.filter(id__in=ids).prefetch_related("attachments").order_by("-published_at", "-id")
