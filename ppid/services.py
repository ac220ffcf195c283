"""Writes of the information-request register: keyword-only, atomic, each
checking the law's deadlines with the shared working-day calendar."""
import datetime

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role
from accounts.selectors import user_has_role
from accounts.services import membership_grant
from common.jobs import enqueue
from common.workdays import add_working_days
from common.api_errors import ApiError

from . import selectors
from .models import (InformationRequest, Objection, RegistrationCounter, Reminder, RequesterIdentity,
                     RequesterProfile)

RESPONSE_WORKING_DAYS = 10      # Pasal 22(7)
EXTENSION_WORKING_DAYS = 7      # Pasal 22(8), once
OBJECTION_WINDOW_WORKING_DAYS = 30   # Pasal 36(1)
OBJECTION_RESPONSE_WORKING_DAYS = 30  # Pasal 36(2)
DISPUTE_WINDOW_WORKING_DAYS = 14     # Pasal 37(2)


def local_date(moment: datetime.datetime) -> datetime.date:
    """The calendar day in Asia/Pontianak (TIME_ZONE) of an aware datetime."""
    return timezone.localdate(moment)


def _next_number(*, kind: str, prefix: str, year: int) -> str:
    counter, _ = RegistrationCounter.objects.select_for_update().get_or_create(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:06d}"


def _forbidden():
    return ApiError("permission_denied", _("Anda tidak berhak melakukan ini."), status_code=403)


def _require_officer(*, user, request: InformationRequest):
    if not selectors.user_handles_request(user=user, request=request):
        raise _forbidden()


IDENTITY_FIELDS = ("kind", "name", "id_number", "address", "phone", "email", "occupation")


@transaction.atomic
def requester_register(*, user, identity: dict) -> RequesterProfile:
    """Register (or update) the account as a pemohon informasi publik with
    the identity the law asks for, and grant it the requester role. The
    identity is personal data: only its owner reads the profile back."""
    if user is None or not user.is_authenticated:
        raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
    profile = RequesterProfile.objects.select_for_update().filter(user=user).first() \
        or RequesterProfile(user=user)
    for field in IDENTITY_FIELDS:
        if field in identity:
            setattr(profile, field, identity[field])
    profile.full_clean(exclude=["user"])
    profile.save()
    membership_grant(user=user, role=Role.REQUESTER)
    return profile


@transaction.atomic
def requester_unregister(*, user) -> None:
    """The requester withdraws the profile (UU PDP Pasal 8 deletion); the
    register keeps each request's identity snapshot as the law's record."""
    RequesterProfile.objects.filter(user=user).delete()
    Membership.objects.filter(user=user, role=Role.REQUESTER).delete()


@transaction.atomic
def request_create(*, requester, identity: dict | None = None, information: str, purpose: str,
                   format: str = InformationRequest.Format.SOFTCOPY,
                   delivery: str = InformationRequest.Delivery.EMAIL,
                   agency=None, received_at: datetime.datetime | None = None) -> InformationRequest:
    """Register a request of a registered requester; the due date is 10
    working days after the day of receipt (a request received on a Saturday
    starts counting on Monday).

    An identity given with the request registers (or updates) the account as
    a requester first; without one, the requester's profile is used. The
    request keeps a snapshot of the identity as the register's record."""
    if requester is None or not requester.is_authenticated:
        raise ApiError("not_authenticated", _("Perlu masuk (login) terlebih dahulu."), status_code=401)
    if identity:
        profile = requester_register(user=requester, identity=identity)
    else:
        profile = RequesterProfile.objects.filter(user=requester).first()
        if profile is None or not user_has_role(user=requester, roles=[Role.REQUESTER]):
            raise ApiError("requester_not_registered",
                           _("Daftarkan identitas Anda sebagai pemohon informasi terlebih dahulu."),
                           status_code=403)
    received_at = received_at or timezone.now()
    received_on = local_date(received_at)
    request = InformationRequest(
        registration_number=_next_number(kind="REQ", prefix="PPID", year=received_on.year),
        requester=requester, agency=agency, information=information, purpose=purpose,
        format=format, delivery=delivery, received_at=received_at, received_on=received_on,
        due_on=add_working_days(received_on, RESPONSE_WORKING_DAYS))
    request.full_clean()
    request.save()
    person = RequesterIdentity(request=request, **profile.identity())
    person.full_clean()
    person.save()
    return request


@transaction.atomic
def request_extend(*, request: InformationRequest, user, reason: str,
                   on: datetime.date | None = None) -> InformationRequest:
    """Extend once by 7 working days, with a written reason, before the
    original 10 working days lapse."""
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    _require_officer(user=user, request=request)
    on = on or timezone.localdate()
    if not reason or not reason.strip():
        raise ApiError("reason_required", _("Perpanjangan wajib disertai alasan tertulis."),
                       fields={"reason": [str(_("Wajib diisi."))]})
    if request.extended_due_on is not None:
        raise ApiError("already_extended", _("Perpanjangan hanya dapat dilakukan satu kali."), status_code=409)
    if request.decision:
        raise ApiError("already_decided", _("Permohonan sudah diputuskan."), status_code=409)
    if on > request.due_on:
        raise ApiError("extension_too_late",
                       _("Perpanjangan harus diberitahukan sebelum 10 hari kerja berakhir."), status_code=409)
    request.extended_due_on = add_working_days(request.due_on, EXTENSION_WORKING_DAYS)
    request.extension_reason = reason.strip()
    request.extended_at = timezone.now()
    request.status = InformationRequest.Status.EXTENDED
    request.save()
    _notify_requester(request=request, event="extended")
    return request


@transaction.atomic
def request_decide(*, request: InformationRequest, user, decision: str, note: str = "",
                   exemption_basis: str = "", consequence_test: str = "", public_interest_test: str = "",
                   fee_rupiah: int = 0, on: datetime.date | None = None) -> InformationRequest:
    """Record the written notice. A refusal or a partial grant names the
    Pasal 17 basis and records the consequence test."""
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    _require_officer(user=user, request=request)
    if request.decision:
        raise ApiError("already_decided", _("Permohonan sudah diputuskan."), status_code=409)
    if decision not in InformationRequest.Decision.values:
        raise ApiError("invalid_decision", _("Keputusan tidak dikenal."), fields={"decision": [decision]})
    withholds = decision in (InformationRequest.Decision.REFUSED, InformationRequest.Decision.PARTLY)
    if withholds:
        errors = {}
        if not exemption_basis:
            errors["exemption_basis"] = [str(_("Sebutkan dasar pengecualian Pasal 17."))]
        if not consequence_test.strip():
            errors["consequence_test"] = [str(_("Catat hasil uji konsekuensi."))]
        if errors:
            raise ApiError("exemption_basis_required",
                           _("Penolakan wajib menyebut dasar Pasal 17 dan uji konsekuensi."), fields=errors)
    elif exemption_basis:
        raise ApiError("invalid", _("Dasar pengecualian hanya untuk penolakan."),
                       fields={"exemption_basis": [exemption_basis]})
    request.decision = decision
    request.decided_on = on or timezone.localdate()
    if request.decided_on < request.received_on:
        raise ApiError("invalid_date", _("Tanggal keputusan sebelum tanggal permohonan."))
    request.decision_note = note
    request.exemption_basis = exemption_basis
    request.consequence_test = consequence_test.strip()
    request.public_interest_test = public_interest_test
    request.fee_rupiah = fee_rupiah
    request.decided_by = user
    request.status = InformationRequest.Status.DECIDED
    request.full_clean()
    request.save()
    _notify_requester(request=request, event="decided")
    return request


@transaction.atomic
def request_deliver(*, request: InformationRequest, user, note: str = "",
                    on: datetime.date | None = None) -> InformationRequest:
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    _require_officer(user=user, request=request)
    if request.decision not in (InformationRequest.Decision.GRANTED, InformationRequest.Decision.PARTLY):
        raise ApiError("nothing_to_deliver", _("Hanya permohonan yang diterima dapat diserahkan."),
                       status_code=409)
    if request.delivered_on:
        raise ApiError("already_delivered", _("Informasi sudah diserahkan."), status_code=409)
    request.delivered_on = on or timezone.localdate()
    request.delivery_note = note
    request.status = InformationRequest.Status.DELIVERED
    request.save()
    _notify_requester(request=request, event="delivered")
    return request


@transaction.atomic
def request_withdraw(*, request: InformationRequest, user) -> InformationRequest:
    """The requester withdraws an undecided request; it stays in the register
    (and counts as received in the annual report)."""
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if user is None or request.requester_id != user.pk:
        raise _forbidden()
    if request.decision:
        raise ApiError("already_decided", _("Permohonan sudah diputuskan."), status_code=409)
    request.status = InformationRequest.Status.WITHDRAWN
    request.save()
    return request


def objection_ground_on(*, request: InformationRequest, ground: str,
                        today: datetime.date) -> datetime.date | None:
    """The day the objection ground arose, or None when it has not (yet).

    Refusal and answers (a, d, f): the day of the written decision. No answer or
    not fulfilled (c, e): the day after the (extended) deadline lapsed without a
    decision or delivery. Late delivery (g): the day of the late delivery.
    Berkala not provided (b): the decision, or the lapse without one.
    """
    G = Objection.Ground
    due = request.effective_due_on
    lapsed = today > due
    if ground == G.REFUSED:
        return request.decided_on if request.decision in ("refused", "partly", "not_held") else None
    if ground in (G.NOT_AS_REQUESTED, G.UNREASONABLE_FEE):
        return request.decided_on
    if ground == G.NOT_ANSWERED:
        return due if lapsed and not request.decision else None
    if ground == G.NOT_FULFILLED:
        if request.decision in ("refused", "not_held"):
            return request.decided_on
        return due if lapsed and not request.delivered_on else None
    if ground == G.LATE:
        if request.delivered_on and request.delivered_on > due:
            return request.delivered_on
        if request.decided_on and request.decided_on > due:
            return request.decided_on
        return None
    if ground == G.BERKALA_NOT_PROVIDED:
        return request.decided_on or (due if lapsed else None)
    return None


def objection_window_end(*, ground_on: datetime.date) -> datetime.date:
    """Last day to file: 30 working days after the ground arose (Pasal 36(1))."""
    return add_working_days(ground_on, OBJECTION_WINDOW_WORKING_DAYS)


def objection_grounds_open(*, request: InformationRequest, today: datetime.date) -> list[dict]:
    """The Pasal 35(1) grounds on which the requester may object today, each
    with the last day of its 30-working-day window (empty while an objection
    is pending or before any ground has arisen)."""
    if any(not o.decision for o in request.objections.all()):  # uses a prefetch when there is one
        return []
    out = []
    for ground in Objection.Ground:
        ground_on = objection_ground_on(request=request, ground=ground, today=today)
        if ground_on is not None and today <= (end := objection_window_end(ground_on=ground_on)):
            out.append({"ground": ground.value, "label": str(ground.label), "window_end": end})
    return out


@transaction.atomic
def objection_create(*, request: InformationRequest, user, ground: str, reason: str,
                     filed_at: datetime.datetime | None = None) -> Objection:
    """The requester files a keberatan with the atasan PPID."""
    request = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if user is None or request.requester_id != user.pk:
        raise _forbidden()
    if ground not in Objection.Ground.values:
        raise ApiError("invalid_ground", _("Alasan keberatan tidak dikenal (Pasal 35 ayat 1)."),
                       fields={"ground": [ground]})
    if not reason or not reason.strip():
        raise ApiError("reason_required", _("Uraikan alasan keberatan."),
                       fields={"reason": [str(_("Wajib diisi."))]})
    filed_at = filed_at or timezone.now()
    filed_on = local_date(filed_at)
    ground_on = objection_ground_on(request=request, ground=ground, today=filed_on)
    if ground_on is None:
        raise ApiError("no_ground", _("Alasan keberatan ini belum terjadi untuk permohonan ini."), status_code=409)
    if filed_on > objection_window_end(ground_on=ground_on):
        raise ApiError("objection_window_closed",
                       _("Keberatan diajukan paling lambat 30 hari kerja setelah alasan keberatan timbul."),
                       status_code=409,
                       extra={"window_end": objection_window_end(ground_on=ground_on).isoformat()})
    if request.objections.filter(decision="").exists():
        raise ApiError("objection_pending", _("Masih ada keberatan yang belum dijawab."), status_code=409)
    objection = Objection(
        registration_number=_next_number(kind="OBJ", prefix="KBR", year=filed_on.year),
        request=request, ground=ground, ground_on=ground_on, reason=reason.strip(),
        filed_at=filed_at, filed_on=filed_on,
        due_on=add_working_days(filed_on, OBJECTION_RESPONSE_WORKING_DAYS))
    objection.full_clean()
    objection.save()
    return objection


@transaction.atomic
def objection_decide(*, objection: Objection, user, decision: str, response: str,
                     superior_name: str = "", superior_position: str = "",
                     on: datetime.date | None = None) -> Objection:
    """The atasan PPID answers in writing; upholding the refusal needs reasons."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if not user_has_role(user=user, roles=[Role.PPID_SUPERIOR]):
        raise _forbidden()
    if objection.decision:
        raise ApiError("already_decided", _("Keberatan sudah dijawab."), status_code=409)
    if decision not in Objection.Decision.values:
        raise ApiError("invalid_decision", _("Keputusan tidak dikenal."), fields={"decision": [decision]})
    if not response or not response.strip():
        raise ApiError("reason_required", _("Tanggapan atasan PPID wajib tertulis beserta alasannya."),
                       fields={"response": [str(_("Wajib diisi."))]})
    objection.decision = decision
    objection.response = response.strip()
    objection.responded_on = on or timezone.localdate()
    objection.responded_by = user
    objection.superior_name = superior_name or user.get_full_name() or user.get_username()
    objection.superior_position = superior_position
    objection.save()
    _notify_requester(request=objection.request, event="objection_answered", objection=objection)
    return objection


def dispute_window_end(*, objection: Objection) -> datetime.date | None:
    """Last day to take the dispute to the Komisi Informasi: 14 working days
    after the atasan PPID's response, or after the 30-WD response lapsed."""
    start = objection.responded_on or objection.due_on
    return add_working_days(start, DISPUTE_WINDOW_WORKING_DAYS)


@transaction.atomic
def objection_record_dispute(*, objection: Objection, user, filed_on: datetime.date, note: str = "") -> Objection:
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.request.requester_id != user.pk and not selectors.user_handles_request(
            user=user, request=objection.request):
        raise _forbidden()
    objection.dispute_filed_on = filed_on
    objection.dispute_note = note
    objection.save()
    return objection


def reminders_send(*, today: datetime.date | None = None, within_working_days: int = 2,
                   commit: bool = True) -> list[dict]:
    """E-mail the handling PPID officers about requests due within
    `within_working_days` or overdue, and the atasan PPID about objections;
    at most one reminder per deadline per day. Returns what was (or would be)
    sent; schedule it daily (e.g. `manage.py ppid_send_reminders --commit`)."""
    today = today or timezone.localdate()
    sent = []
    for kind, subject, target, recipients in selectors.reminders_due(
            today=today, within_working_days=within_working_days):
        entry = {"kind": kind, "number": target.registration_number, "recipients": len(recipients),
                 "due_on": (target.effective_due_on if isinstance(target, InformationRequest)
                            else target.due_on).isoformat()}
        if commit:
            with transaction.atomic():
                key = {"request": target} if isinstance(target, InformationRequest) else {"objection": target}
                reminder, created = Reminder.objects.get_or_create(kind=kind, sent_on=today, **key,
                                                                   defaults={"recipients": len(recipients)})
                if not created:
                    continue
                if recipients:
                    send_mail(subject, _reminder_body(target=target, kind=kind), None, recipients)
        sent.append(entry)
    return sent


def _reminder_body(*, target, kind: str) -> str:
    due = target.effective_due_on if isinstance(target, InformationRequest) else target.due_on
    return str(_("Nomor registrasi: %(number)s\nTenggat: %(due)s\nJenis: %(kind)s\n\n"
                 "Buka ruang kerja PPID untuk menindaklanjuti.")) % {
        "number": target.registration_number, "due": due.isoformat(), "kind": kind}


# --- The requester hears of every answer (Pasal 22: written notice) ----------
REQUESTER_EVENTS = {
    "extended": _("Permohonan diperpanjang"),
    "decided": _("Pemberitahuan tertulis atas permohonan"),
    "delivered": _("Informasi telah diserahkan"),
    "objection_answered": _("Tanggapan atasan PPID atas keberatan"),
}


def _notify_requester(*, request: InformationRequest, event: str, objection: Objection | None = None) -> None:
    from . import tasks  # noqa: PLC0415 - tasks import this module

    enqueue(tasks.notify_requester, request.pk, event, objection.pk if objection else None)


def requester_notify(*, request_id: int, event: str, objection_id: int | None = None) -> bool:
    """E-mail the requester about an answer to their request, at most once per
    (request, event, objection) however often the job runs (common.jobs). The
    mail carries the number, the status and the written notice, not the
    requester's identity. True when it was sent now."""
    from django.conf import settings

    from common.jobs import job_once

    request = InformationRequest.objects.select_related("identity", "requester").get(pk=request_id)
    address = (getattr(request, "identity", None) and request.identity.email) or request.requester.email
    if not address:
        return False
    objection = request.objections.filter(pk=objection_id).first() if objection_id else None
    base = getattr(settings, "REPORTS_PUBLIC_BASE_URL", "").rstrip("/")
    lines = [str(_("Nomor registrasi: %s")) % request.registration_number,
             str(_("Status: %s")) % request.get_status_display(),
             str(_("Tenggat jawaban: %s")) % request.effective_due_on.isoformat()]
    if event == "extended":
        lines.append(str(_("Alasan perpanjangan: %s")) % request.extension_reason)
    if request.decision:
        lines.append(str(_("Keputusan: %s")) % request.get_decision_display())
        if request.exemption_basis:
            lines.append(str(_("Dasar pengecualian: %s")) % request.get_exemption_basis_display())
        if request.decision_note:
            lines.append(request.decision_note)
    if request.delivered_on:
        lines.append(str(_("Diserahkan pada: %s")) % request.delivered_on.isoformat())
    if objection is not None:
        lines += [str(_("Keberatan: %s")) % objection.registration_number,
                  str(_("Keputusan atasan PPID: %s")) % objection.get_decision_display(), objection.response]
    lines += ["", f"{base}/ppid/permohonan/{request.registration_number}/"]
    subject = f"[PPID] {REQUESTER_EVENTS.get(event, event)}: {request.registration_number}"
    return job_once(f"ppid-requester:{request.pk}:{event}:{objection_id or ''}",
                    lambda: send_mail(str(subject), "\n".join(lines), None, [address]),
                    task="ppid.notify_requester")
