"""Apply actions a phone queued offline, exactly once each.

An action carries the id the phone made when the crew took it (client_id).
The first arrival is applied through the reports services (the same rules as
online: the workflow, the caller's rights, evidence on resolution) and its
outcome is stored under that id in the same transaction; any later arrival of
the same id returns the stored outcome and changes nothing. A transition that
is no longer valid when it arrives (the report was re-routed, merged or moved
on meanwhile) is refused with a reason in words; its note and photo are never
lost: they are kept with the action, and the note is added to the report as an
internal note where the caller may still write on it.
"""
import base64
import binascii
import datetime
import uuid

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.api_errors import ApiError
from common.times import to_utc
from reports import services as report_services
from reports.models import Report, ReportEvent
from reports.photos import photo_clean

from .models import ClientAction

MAX_ACTIONS_PER_SYNC = 200
PHOTO_MAX_BYTES = 3 * 2**20


def _photo_from(data_url: str | None):
    if not data_url:
        return None
    payload = data_url.split(",", 1)[1] if data_url.startswith("data:") else data_url
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("invalid_photo", _("Foto tidak dapat dibaca."), fields={"photo": ["invalid"]})
    if len(raw) > PHOTO_MAX_BYTES:
        raise ApiError("photo_too_large", _("Foto terlalu besar."), fields={"photo": ["too_large"]})
    upload = ContentFile(raw, name="bukti.jpg")
    return upload


def _status_words(status: str) -> str:
    return str(Report.Status(status).label) if status in Report.Status.values else status


def _reason(report: Report | None, error: ApiError, action: dict) -> str:
    """Why the action was refused, in words the crew can act on."""
    code = error.code
    if report is None or code == "not_found":
        return _("Laporan ini tidak lagi ada di antrean Anda (dialihkan ke instansi lain atau dihapus). "
                 "Perubahan tidak diterapkan; catatan dan foto Anda tersimpan di server.")
    last = report.events.order_by("-created_at", "-id").first()
    when = timezone.localtime(last.created_at).strftime("%d-%m-%Y %H:%M") if last else ""
    if report.status == Report.Status.MERGED:
        return _("Laporan ini sudah digabung dengan laporan lain (%(when)s WIB). Perubahan tidak diterapkan; "
                 "catatan Anda ditambahkan ke laporan.") % {"when": when}
    seen = action.get("from_status")
    if code == "forbidden_transition" or (seen and seen != report.status):
        return _("Status laporan sudah berubah menjadi \"%(now)s\" (%(when)s WIB), sehingga perubahan ke "
                 "\"%(to)s\" tidak lagi berlaku. Catatan Anda tetap disimpan.") % {
            "now": _status_words(report.status), "when": when, "to": _status_words(action.get("to", ""))}
    return str(error.message)


def action_apply(*, user, action: dict) -> dict:
    """Apply one queued action; returns its outcome (stored, so a repeat gets
    the same answer with "repeated": true)."""
    try:
        client_id = uuid.UUID(str(action.get("client_id", "")))
        report_id = uuid.UUID(str(action.get("report_id", "")))
    except ValueError:
        raise ApiError("invalid_action", _("Tindakan tanpa client_id atau report_id yang sah."),
                       fields={"client_id": ["invalid"]})
    kind = action.get("kind")
    if kind not in ClientAction.Kind.values:
        raise ApiError("invalid_action", _("Jenis tindakan tidak dikenal."), fields={"kind": ["invalid"]})
    taken_at = action.get("taken_at")
    try:
        taken = datetime.datetime.fromisoformat(str(taken_at).replace("Z", "+00:00")) if taken_at else timezone.now()
        if timezone.is_naive(taken):
            taken = timezone.make_aware(taken, datetime.timezone.utc)
        taken = to_utc(taken)
    except ValueError:
        raise ApiError("invalid_action", _("Waktu tindakan tidak sah."), fields={"taken_at": ["invalid"]})
    existing = ClientAction.objects.filter(client_id=client_id).first()
    if existing is not None:
        return _repeat(existing, user)
    note = str(action.get("note") or "")
    stored_request = {k: action.get(k) for k in ("to", "note", "public", "from_status")
                      if action.get(k) is not None}
    photo = _photo_from(action.get("photo"))
    clean = photo_clean(upload=photo) if photo else None
    try:
        with transaction.atomic():
            row = ClientAction(client_id=client_id, user=user, report_id=report_id, kind=kind,
                               request=stored_request, taken_at=taken)
            try:
                with transaction.atomic():
                    if kind == ClientAction.Kind.TRANSITION:
                        event = report_services.report_transition(
                            report_id=report_id, actor=user, to=str(action.get("to") or ""), note=note,
                            public=bool(action.get("public", True)),
                            photo=ContentFile(clean.content.read(), name=clean.content.name) if clean else None)
                    else:
                        event = report_services.report_add_note(report_id=report_id, actor=user, note=note,
                                                                public=bool(action.get("public", False)))
                report = Report.objects.get(id=report_id)
                row.outcome, row.result = ClientAction.Outcome.APPLIED, {"status": report.status,
                                                                          "event_id": event.id}
            except ApiError as error:
                if getattr(error, "status_code", 400) not in (403, 404, 409):
                    raise
                report = Report.objects.filter(id=report_id).first()
                row.outcome = ClientAction.Outcome.REFUSED
                row.code = _code_of(error)
                row.message = _reason(report, error, action)
                row.result = {"status": report.status if report else None}
                if note.strip() and report is not None and kind == ClientAction.Kind.TRANSITION:
                    # The note still reaches the report where the crew may write on it.
                    try:
                        with transaction.atomic():
                            kept = report_services.report_add_note(
                                report_id=report_id, actor=user,
                                note=_("[Catatan lapangan, perubahan status ditolak] ") + note, public=False)
                        row.result["note_event_id"] = kept.id
                    except ApiError:
                        pass
            if clean is not None:
                clean.content.seek(0)
                row.photo.save(f"bukti.{clean.content.name.rsplit('.', 1)[-1]}", clean.content, save=False)
            row.save(force_insert=True)
    except IntegrityError:
        # The same action arrived twice at once: the other arrival stored it.
        existing = ClientAction.objects.filter(client_id=client_id).first()
        if existing is None:
            raise
        return _repeat(existing, user)
    return _outcome(row, repeated=False)


def _code_of(error: ApiError) -> str:
    return str(error.code or "refused")


def _repeat(row: ClientAction, user) -> dict:
    if row.user_id != user.id:
        raise ApiError("id_conflict", _("Id tindakan ini sudah dipakai."), status_code=409)
    return _outcome(row, repeated=True)


def _outcome(row: ClientAction, *, repeated: bool) -> dict:
    return {"client_id": str(row.client_id), "report_id": str(row.report_id), "kind": row.kind,
            "outcome": row.outcome, "code": row.code, "message": row.message, "repeated": repeated,
            "status": row.result.get("status"), "photo_kept": bool(row.photo)}


def actions_sync(*, user, actions: list) -> list[dict]:
    """Apply a batch in the order the phone took them; one bad action does not
    stop the others (its error is its outcome)."""
    if not isinstance(actions, list) or not actions:
        raise ApiError("invalid", _("Daftar tindakan kosong."), fields={"actions": ["required"]})
    if len(actions) > MAX_ACTIONS_PER_SYNC:
        raise ApiError("too_many_actions", _("Paling banyak %(n)d tindakan sekali kirim.") % {
            "n": MAX_ACTIONS_PER_SYNC}, fields={"actions": ["too_many"]})
    results = []
    ordered = sorted((a for a in actions if isinstance(a, dict)), key=lambda a: str(a.get("taken_at") or ""))
    if len(ordered) != len(actions):
        raise ApiError("invalid_action", _("Setiap tindakan harus berupa objek."), fields={"actions": ["invalid"]})
    for action in ordered:
        try:
            results.append(action_apply(user=user, action=action))
        except ApiError as error:
            results.append({"client_id": str(action.get("client_id", "")), "outcome": "error",
                            "code": _code_of(error), "message": str(error.message), "repeated": False})
    return results
