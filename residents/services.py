"""Writes of the residents app: one-time sign-in codes, accounts, erasure,
the device secret of anonymous reports, following, support, the reporter's
"is it fixed?" answer and dispute, and the updates sent on every public status
change (an outbox row per recipient in the change's transaction, delivered
through messaging.gateways).
"""
import datetime
import hashlib
import hmac
import math
import secrets
import uuid

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Role
from common.humanize import wait_words
from accounts.services import membership_grant, user_create
from common.api_errors import ApiError
from common.regency import by_tracking_code, routed
from reports.models import Report, ReportEvent

from .models import ClientRequest, DeviceSupport, FixConfirmation, Follow, Resident, SignInCode

CODE_TTL = datetime.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_WINDOW = 3
CODE_WINDOW = datetime.timedelta(minutes=15)
DEVICE_SECRET_MIN = 32  # characters (the page makes 43: 32 random bytes, base64url)

Channel = Resident.Channel


# --- Small helpers -----------------------------------------------------------

def destination_parse(value: str) -> tuple[str, str]:
    """("phone", "+62...") or ("email", "a@b") from what a resident typed;
    ApiError when it is neither."""
    value = (value or "").strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise ApiError("invalid_destination", _("Alamat e-mail tidak valid."), fields={"destination": ["invalid"]})
        return "email", value.lower()
    try:
        number = phonenumbers.parse(value, "ID")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ApiError("invalid_destination",
                       _("Nomor ponsel atau e-mail tidak valid. Contoh: 0812 3456 7890 atau nama@contoh.id."),
                       fields={"destination": ["invalid"]})
    return "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _code_hash(destination: str, code: str) -> str:
    return salted_hmac("residents.sign-in-code", f"{destination}:{code}", algorithm="sha256").hexdigest()


def device_hash(secret: str | None) -> str | None:
    """The stored form of a device secret; None when it is missing or too short."""
    secret = (secret or "").strip()
    if len(secret) < DEVICE_SECRET_MIN or len(secret) > 200:
        return None
    return hashlib.sha256(secret.encode()).hexdigest()


# --- Sign-in codes and accounts ----------------------------------------------

def code_request(*, destination: str, channel: str = "", now: datetime.datetime | None = None) -> SignInCode:
    """Send a 6-digit code to a phone (SMS or WhatsApp) or an e-mail address.
    At most CODES_PER_WINDOW codes per destination per CODE_WINDOW (429 with
    the wait in words)."""
    from messaging.gateways import GatewayError, send

    now = now or timezone.now()
    kind, destination = destination_parse(destination)
    if kind == "email":
        channel = Channel.EMAIL
    elif channel not in (Channel.SMS, Channel.WHATSAPP):
        channel = Channel.WHATSAPP
    recent = list(SignInCode.objects.filter(destination=destination, created_at__gt=now - CODE_WINDOW)
                  .order_by("created_at").values_list("created_at", flat=True))
    if len(recent) >= CODES_PER_WINDOW:
        wait = (recent[0] + CODE_WINDOW - now).total_seconds()
        raise ApiError("throttled", _("Terlalu sering meminta kode. Coba lagi dalam %(wait)s.") % {"wait": wait_words(wait)},
                       status_code=429, extra={"retry_after": math.ceil(wait)})
    code = f"{secrets.randbelow(10**6):06d}"
    row = SignInCode.objects.create(destination=destination, channel=channel, code_hash=_code_hash(destination, code),
                                    created_at=now, expires_at=now + CODE_TTL)
    body = _("Kode masuk RT Online Kubu Raya: %(code)s. Berlaku 10 menit. Jangan berikan kode ini kepada siapa pun.") % {
        "code": code}
    try:
        send(channel, destination, body, subject=_("Kode masuk RT Online"), key=f"sign-in-code:{row.pk}")
    except GatewayError:
        row.delete()
        raise ApiError("send_failed", _("Kode belum dapat dikirim. Coba lagi sebentar lagi."), status_code=503)
    return row


def code_verify(*, destination: str, code: str, consent: bool = False,
                now: datetime.datetime | None = None):
    """The resident's account for a valid unused code (created on first sign-in,
    which needs consent); ApiError otherwise. A code is spent by its use, by
    CODE_ATTEMPTS wrong tries or by time."""
    now = now or timezone.now()
    kind, destination = destination_parse(destination)
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    error = None
    with transaction.atomic():
        row = (SignInCode.objects.select_for_update()
               .filter(destination=destination, used_at__isnull=True, expires_at__gt=now)
               .order_by("-created_at").first())
        if row is None or row.attempts >= CODE_ATTEMPTS:
            raise ApiError("code_expired", _("Kode sudah tidak berlaku. Minta kode baru."), fields={"code": ["expired"]})
        if not hmac.compare_digest(row.code_hash, _code_hash(destination, code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])  # committed: a wrong try counts
            left = CODE_ATTEMPTS - row.attempts
            error = ApiError("code_wrong", ngettext("Kode salah. Sisa %(n)d percobaan.",
                                                    "Kode salah. Sisa %(n)d percobaan.", left) % {"n": left},
                             fields={"code": ["wrong"]})
        else:
            lookup = {"email": destination} if kind == "email" else {"phone": destination}
            resident = Resident.objects.select_related("user").filter(**lookup).first()
            if resident is None:
                if not consent:
                    raise ApiError("consent_required",
                                   _("Setujui pemrosesan data pribadi untuk membuat akun warga."),
                                   fields={"consent": ["required"]})
                user = user_create(username=f"warga-{secrets.token_hex(6)}")
                resident = Resident.objects.create(user=user, consent_at=now, channel=row.channel, **lookup)
                membership_grant(user=user, role=Role.RESIDENT)
            row.used_at = now
            row.save(update_fields=["used_at"])
    if error is not None:
        raise error
    return resident.user


def resident_set_channel(*, user, channel: str) -> Resident:
    resident = Resident.objects.filter(user=user).first()
    if resident is None:
        raise ApiError("not_resident", _("Akun ini bukan akun warga."), status_code=403)
    if channel not in Channel.values or (channel == Channel.EMAIL and not resident.email) or (
            channel != Channel.EMAIL and not resident.phone):
        raise ApiError("invalid_channel", _("Saluran ini tidak tersedia untuk kontak Anda."),
                       fields={"channel": ["invalid"]})
    resident.channel = channel
    resident.save(update_fields=["channel"])
    return resident


@transaction.atomic
def resident_erase(*, user) -> None:
    """The resident deletes their account (UU PDP Pasal 8): contact, follows,
    codes and messages sent to them go; the reports they filed stay (public
    service records) without a link to them, as anonymous reports."""
    from messaging.models import SentMessage, SimulatedMessage

    resident = Resident.objects.select_for_update().filter(user=user).first()
    if resident is None:
        raise ApiError("not_resident", _("Akun ini bukan akun warga."), status_code=403)
    contacts = [c for c in (resident.phone, resident.email) if c]
    SignInCode.objects.filter(destination__in=contacts).delete()
    SentMessage.objects.filter(to__in=contacts).delete()
    SimulatedMessage.objects.filter(to__in=contacts).delete()
    Follow.objects.filter(user=user).delete()
    ClientRequest.objects.filter(user=user).delete()
    Report.objects.filter(reporter=user).update(reporter=None, anonymous=True)
    resident.delete()
    Membership.objects.filter(user=user, role=Role.RESIDENT).delete()
    User = get_user_model()
    User.objects.filter(pk=user.pk).update(username=f"dihapus-{user.pk}-{secrets.token_hex(4)}", email="",
                                           first_name="", last_name="", is_active=False)


def codes_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete used and expired sign-in codes (they hold a phone or address)."""
    now = now or timezone.now()
    deleted, _ = SignInCode.objects.filter(expires_at__lt=now).delete()
    return deleted


# --- Reports: device, follow, support, confirmation, dispute -----------------

def is_reporter(*, report: Report, user=None, secret: str | None = None) -> bool:
    if user is not None and user.is_authenticated and report.reporter_id == user.id:
        return True
    # The filing phone: the one store is the report's own device_secret_hash.
    hashed = device_hash(secret)
    return bool(hashed) and hmac.compare_digest(report.device_secret_hash, hashed)


def _report_by_code(code: str) -> Report:
    from .selectors import code_normalize

    report = by_tracking_code(Report.objects.select_related("category", "desa", "agency"), code_normalize(code))
    if report is None:
        raise ApiError("not_found", _("Kode lacak tidak ditemukan."), status_code=404)
    return report


def report_follow(*, code: str, user, follow: bool = True) -> Report:
    """A signed-in resident follows (or stops following) a report they may see:
    any public report, or their own."""
    from reports.policy import report_is_public

    report = _report_by_code(code)
    if user is None or not user.is_authenticated:
        raise ApiError("not_authenticated", _("Masuk sebagai warga untuk mengikuti laporan."), status_code=401)
    if not (report_is_public(report) or report.reporter_id == user.id):
        raise ApiError("not_found", _("Kode lacak tidak ditemukan."), status_code=404)
    if follow:
        Follow.objects.get_or_create(report=report, user=user)
    else:
        Follow.objects.filter(report=report, user=user).delete()
    return report


def report_support(*, report_id, user=None, secret: str | None = None) -> Report:
    """ "Dukung laporan ini": by account (reports.services.report_support) or,
    without one, once per phone (device secret)."""
    from reports.policy import reports_public
    from reports import services as report_services

    if user is not None and user.is_authenticated:
        return report_services.report_support(report_id=report_id, user=user)
    hashed = device_hash(secret)
    if hashed is None:
        raise ApiError("device_required", _("Perangkat tidak dikenali; muat ulang halaman lalu coba lagi."),
                       fields={"device": ["required"]})
    try:
        with transaction.atomic():
            # Public reports only (the projection decides), then the report itself.
            public = reports_public().filter(id=report_id).exists()
            report = routed(Report.objects.select_for_update(), report_id).first() if public else None
            if report is None or not report.is_open:
                raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
            DeviceSupport.objects.create(report=report, secret_hash=hashed)
            Report.objects.filter(id=report.id).update(supporters_count=F("supporters_count") + 1)
            ReportEvent.objects.create(report=report, kind=ReportEvent.Kind.SUPPORT, public=False,
                                       created_at=timezone.now())
    except (IntegrityError, ValidationError, ValueError):
        pass  # this phone supported it already (or a malformed id: answered below)
    public = _is_uuid(report_id) and reports_public().filter(id=report_id).exists()
    report = Report.objects.filter(id=report_id).first() if public else None
    if report is None:
        raise ApiError("not_found", _("Laporan tidak ditemukan."), status_code=404)
    return report


def _is_uuid(value) -> bool:
    import uuid
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def report_confirm_fixed(*, code: str, user=None, secret: str | None = None,
                         now: datetime.datetime | None = None) -> FixConfirmation:
    """The reporter says the resolved problem is really fixed."""
    report = _report_by_code(code)
    if not is_reporter(report=report, user=user, secret=secret):
        raise ApiError("not_reporter", _("Hanya pelapor yang dapat mengonfirmasi."), status_code=403)
    if report.status != Report.Status.RESOLVED:
        raise ApiError("not_resolved", _("Laporan belum dinyatakan selesai."), status_code=409)
    return FixConfirmation.objects.create(report=report, fixed=True, created_at=now or timezone.now())


def report_dispute(*, code: str, note: str, user=None, secret: str | None = None) -> ReportEvent:
    """The reporter (account or filing phone) says it is not fixed: the report
    goes back to in progress through the one workflow service."""
    from reports.services import report_transition

    report = _report_by_code(code)
    proven = is_reporter(report=report, user=user, secret=secret)
    if not proven:
        raise ApiError("not_reporter", _("Hanya pelapor yang dapat menyanggah penyelesaian."), status_code=403)
    actor = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        event = report_transition(report_id=report.id, actor=actor, to=Report.Status.IN_PROGRESS,
                                  note=(note or "").strip(), public=True, reporter_proven=True)
        FixConfirmation.objects.create(report=report, fixed=False, created_at=event.created_at)
    return event


def client_request_once(*, client_id: str | None, kind: str, code: str, user=None, secret: str | None = None,
                        apply) -> bool:
    """Run `apply()` (a confirm, dispute or follow) once per `client_id`, the id
    the phone gave the request: stored in the same transaction as the effect,
    so a phone that sends it again (its service worker's outbox after a lost
    answer, a second flush) changes nothing. Returns True when this call
    applied it, False for a repeat. Without an id, `apply()` just runs (a
    browser with no script). A refusal (ApiError) stores nothing: a later try
    is judged again. Another sender's id is a 409."""
    if not client_id:
        apply()
        return True
    try:
        cid = uuid.UUID(str(client_id))
    except ValueError:
        raise ApiError("invalid", _("Id permintaan tidak sah."), fields={"client_id": ["invalid"]})
    signed_in = user is not None and user.is_authenticated
    owner = {"user": user if signed_in else None,
             "secret_hash": "" if signed_in else (device_hash(secret) or "")}

    def repeat(row: ClientRequest) -> bool:
        same = (row.user_id == user.pk) if signed_in else (
            row.user_id is None and bool(owner["secret_hash"]) and hmac.compare_digest(row.secret_hash,
                                                                                       owner["secret_hash"]))
        if not same or row.kind != kind:
            raise ApiError("id_conflict", _("Id permintaan ini sudah dipakai."), status_code=409)
        return False

    existing = ClientRequest.objects.filter(client_id=cid).first()
    if existing is not None:
        return repeat(existing)
    report = _report_by_code(code)
    try:
        with transaction.atomic():
            apply()
            ClientRequest.objects.create(client_id=cid, kind=kind, report=report, **owner)
    except (IntegrityError, ApiError):
        # The same request arrived twice at once: the other arrival stored it
        # (and this one found its effect already made, e.g. a dispute of a
        # report no longer resolved).
        existing = ClientRequest.objects.filter(client_id=cid).first()
        if existing is None:
            raise
        return repeat(existing)
    return True


# --- Updates -----------------------------------------------------------------

def update_recipients(report: Report) -> list[int]:
    """User ids of the report's resident reporter and followers."""
    user_ids = set(Follow.objects.filter(report=report).values_list("user_id", flat=True))
    if report.reporter_id and not report.anonymous:
        user_ids.add(report.reporter_id)
    return sorted(Resident.objects.filter(user_id__in=user_ids, user__is_active=True)
                  .values_list("user_id", flat=True))


def update_text(report: Report, event: ReportEvent) -> str:
    """The message: tracking code, new status in words and the link; never more
    than the policy's notification summary allows (nothing of a P1-P3 case)."""
    from reports.policy import report_notification_summary
    from portal.maps import STATUS_LABELS

    summary = report_notification_summary(report)
    link = f"{settings.REPORTS_PUBLIC_BASE_URL}/lacak/{report.tracking_code}/"
    status = str(STATUS_LABELS.get(event.to_status, event.to_status))
    text = f"RT Online: laporan {summary['tracking_code']} kini berstatus \"{status}\"."
    if summary.get("category"):
        text += f" ({summary['category']})"
    return f"{text} Lihat: {link}"


def on_report_event(sender, event: ReportEvent, **kwargs) -> None:
    """report_event_created receiver (inside the change's transaction): one
    outbox row per recipient, keyed by event and user. The payload holds ids
    only: the address is read at delivery, so an erased resident gets nothing
    and no phone number waits in the outbox."""
    if not event.to_status:
        return
    for user_id in update_recipients(event.report):
        update_enqueue({"event_id": event.id, "user_id": user_id}, key=f"report-update:{event.id}:{user_id}")


UPDATE_KIND = "residents.update"


def update_enqueue(payload: dict, *, key: str) -> None:
    """An outbox row in the change's transaction (common.outbox): delivered after
    the commit, retried with backoff, never lost when a worker or Redis dies."""
    from common import outbox

    outbox.enqueue(UPDATE_KIND, payload, key=key)


def update_deliver(payload: dict, *, key: str) -> None:
    """The outbox handler: idempotent by key (messaging.gateways.send); a
    GatewayError propagates so the outbox retries."""
    from messaging.gateways import send

    event = ReportEvent.objects.select_related("report__category", "report__desa").filter(
        id=payload["event_id"]).first()
    resident = Resident.objects.filter(user_id=payload["user_id"], user__is_active=True).first()
    if event is None or resident is None or not resident.address:
        return  # the report or the account is gone: nothing to send
    send(resident.channel, resident.address, update_text(event.report, event),
         subject=f"[RT Online] {event.report.tracking_code}", key=key)
