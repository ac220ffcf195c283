"""Who may do what: every role check in the project goes through here."""
import datetime

from django.db.models import Q, QuerySet

from .models import Membership, Role


def memberships_active(*, user, on: datetime.date | None = None) -> QuerySet[Membership]:
    if user is None or not user.is_authenticated:
        return Membership.objects.none()
    on = on or datetime.date.today()
    return (Membership.objects.filter(user=user)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
            .select_related("agency", "area"))


def user_has_role(*, user, roles: str | list[str]) -> bool:
    roles = [roles] if isinstance(roles, str) else roles
    return memberships_active(user=user).filter(role__in=roles).exists()


def user_agency_ids(*, user, roles: list[str] | None = None) -> set[int]:
    """Agencies the user acts for (staff, field crew, head, PPID, verifier)."""
    roles = roles or [Role.AGENCY_STAFF, Role.FIELD_CREW, Role.AGENCY_HEAD]
    return set(memberships_active(user=user).filter(role__in=roles, agency__isnull=False)
               .values_list("agency_id", flat=True))


def user_regency_codes(*, user, roles: list[str] | None = None) -> set[str]:
    """The regencies (kabupaten/kota codes) the user works in: those of the agencies
    and areas of their active memberships (a membership without either is the
    deployment's regency's). Regencies as tenants: a regency's staff see only their
    regency. `roles` narrows to some roles."""
    qs = memberships_active(user=user)
    if roles:
        qs = qs.filter(role__in=roles)
    return set(qs.values_list("regency_code", flat=True))


def user_area_ids(*, user, roles: list[str]) -> set[int]:
    return set(memberships_active(user=user).filter(role__in=roles, area__isnull=False)
               .values_list("area_id", flat=True))
