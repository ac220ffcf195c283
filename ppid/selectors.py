"""Reads of the information-request register and who may see what.

A requester sees only their own requests. A PPID officer scoped to an agency
(PPID Pelaksana) sees that agency's requests; one without an agency (PPID
Utama) sees all; so does the atasan PPID, who answers objections.
"""
import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from accounts.models import Membership, Role
from accounts.selectors import memberships_active
from common.workdays import add_working_days

from .models import InformationRequest, Objection, PublicDocument


def _officer_scope(*, user) -> tuple[bool, set[int]]:
    """(sees_all, agency_ids) of the user's PPID memberships."""
    rows = list(memberships_active(user=user).filter(role__in=[Role.PPID_OFFICER, Role.PPID_SUPERIOR])
                .values_list("role", "agency_id"))
    sees_all = any(role == Role.PPID_SUPERIOR or agency is None for role, agency in rows)
    return sees_all, {agency for _, agency in rows if agency is not None}


def user_is_ppid_staff(*, user) -> bool:
    sees_all, agencies = _officer_scope(user=user)
    return sees_all or bool(agencies)


def user_handles_request(*, user, request: InformationRequest) -> bool:
    sees_all, agencies = _officer_scope(user=user)
    return sees_all or (request.agency_id is not None and request.agency_id in agencies)


def requests_visible_to(*, user) -> QuerySet[InformationRequest]:
    if user is None or not user.is_authenticated:
        return InformationRequest.objects.none()
    qs = InformationRequest.objects.select_related("agency")
    sees_all, agencies = _officer_scope(user=user)
    if sees_all:
        return qs
    return qs.filter(Q(requester=user) | Q(agency_id__in=agencies))


def requests_of_requester(*, user) -> QuerySet[InformationRequest]:
    if user is None or not user.is_authenticated:
        return InformationRequest.objects.none()
    return InformationRequest.objects.filter(requester=user).select_related("agency")


def request_get_for(*, user, registration_number: str) -> InformationRequest | None:
    return requests_visible_to(user=user).filter(registration_number=registration_number).first()


def requests_workspace(*, user) -> QuerySet[InformationRequest]:
    """What the officer handles (not the officer's own requests as a requester)."""
    sees_all, agencies = _officer_scope(user=user)
    qs = InformationRequest.objects.select_related("agency").prefetch_related("objections")
    if sees_all:
        return qs
    return qs.filter(agency_id__in=agencies) if agencies else qs.none()


def requests_open() -> QuerySet[InformationRequest]:
    return InformationRequest.objects.filter(decision="").exclude(status=InformationRequest.Status.WITHDRAWN)


def requests_overdue(*, today: datetime.date) -> QuerySet[InformationRequest]:
    """Undecided past the (extended) deadline."""
    return requests_open().filter(
        Q(extended_due_on__isnull=True, due_on__lt=today) | Q(extended_due_on__lt=today))


def request_is_overdue(*, request: InformationRequest, today: datetime.date) -> bool:
    return not request.decision and request.status != InformationRequest.Status.WITHDRAWN \
        and today > request.effective_due_on


def objections_open() -> QuerySet[Objection]:
    return Objection.objects.filter(decision="").select_related("request")


def objections_open_for(*, user) -> QuerySet[Objection]:
    """Open objections on the requests the user handles (a PPID Pelaksana does
    not see another agency's objections)."""
    return objections_open().filter(request__in=requests_workspace(user=user).values("pk"))


def _officer_emails(*, agency_id: int | None) -> list[str]:
    scope = Q(agency__isnull=True) if agency_id is None else Q(agency__isnull=True) | Q(agency_id=agency_id)
    user_ids = Membership.objects.filter(scope, role=Role.PPID_OFFICER).values("user_id")
    return sorted(set(get_user_model().objects.filter(id__in=user_ids, is_active=True)
                      .exclude(email="").values_list("email", flat=True)))


def _superior_emails() -> list[str]:
    user_ids = Membership.objects.filter(role=Role.PPID_SUPERIOR).values("user_id")
    return sorted(set(get_user_model().objects.filter(id__in=user_ids, is_active=True)
                      .exclude(email="").values_list("email", flat=True)))


def reminders_due(*, today: datetime.date, within_working_days: int):
    """(kind, subject, request-or-objection, recipient e-mails) of every open
    deadline that falls within `within_working_days` working days or has
    passed."""
    horizon = add_working_days(today, within_working_days)
    for request in requests_open().filter(
            Q(extended_due_on__isnull=True, due_on__lte=horizon) | Q(extended_due_on__lte=horizon)):
        overdue = today > request.effective_due_on
        kind = "request_overdue" if overdue else "request_due"
        subject = (f"[PPID] {'Lewat tenggat' if overdue else 'Tenggat mendekat'}: "
                   f"{request.registration_number}")
        yield kind, subject, request, _officer_emails(agency_id=request.agency_id)
    for objection in objections_open().filter(due_on__lte=horizon):
        overdue = today > objection.due_on
        kind = "objection_overdue" if overdue else "objection_due"
        subject = (f"[PPID] Keberatan {'lewat tenggat' if overdue else 'tenggat mendekat'}: "
                   f"{objection.registration_number}")
        yield kind, subject, objection, _superior_emails()


def documents_listed() -> QuerySet[PublicDocument]:
    return PublicDocument.objects.filter(is_listed=True).select_related("agency")
