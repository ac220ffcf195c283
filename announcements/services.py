"""Writes: drafts, approval, publication, corrections, withdrawal,
subscriptions and the deliveries each publication makes. Keyword-only."""
import datetime
import re

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import outbox
from common.api_errors import ApiError
from common.regency import by_tracking_code
from common.times import to_utc
from geo.models import Area
from geo.selectors import edition_current
from announcements.policy import announcement_gate

from . import selectors
from .geometry import Target, target_from_input
from .models import Announcement, Attachment, Kind, Message, PushDevice, Subscription

S = Announcement.Status
TEXT_FIELDS = ("title_id", "title_en", "body_id", "body_en")


def _parse_time(value, name):
    if isinstance(value, datetime.datetime):
        dt = value
    else:
        try:
            dt = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            raise ApiError("invalid_datetime", _("Waktu tidak sah (ISO 8601)."), fields={name: ["invalid"]}) from None
    if dt.tzinfo is None:
        raise ApiError("invalid_datetime", _("Waktu harus menyebut zona waktu (mis. +07:00)."), fields={name: ["naive"]})
    try:
        return to_utc(dt)
    except ValueError:
        raise ApiError("invalid_datetime", _("Waktu tidak sah (ISO 8601)."), fields={name: ["invalid"]}) from None


def _clean_fields(data: dict, *, partial: bool) -> dict:
    out = {}
    if "kind" in data or not partial:
        if data.get("kind") not in Kind.values:
            raise ApiError("invalid_kind", _("Jenis pengumuman tidak dikenal."), fields={"kind": ["invalid"]})
        out["kind"] = data["kind"]
    limits = {"title_id": 160, "title_en": 160, "body_id": 5000, "body_en": 5000}
    for name in TEXT_FIELDS:
        if name in data or (not partial and name in ("title_id", "body_id")):
            value = data.get(name)
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ApiError("invalid", _("Teks tidak sah."), fields={name: ["invalid"]})
            value = value.strip()
            if name in ("title_id", "body_id") and not value:
                raise ApiError("text_required", _("Judul dan isi dalam Bahasa Indonesia wajib diisi."),
                               fields={name: ["required"]})
            if len(value) > limits[name] or "\x00" in value:
                raise ApiError("text_too_long", _("Teks terlalu panjang."), fields={name: ["too_long"]})
            out[name] = value
    if data.get("cap_category"):
        choices = [c for c, _label in Announcement._meta.get_field("cap_category").choices]
        if data["cap_category"] not in choices:
            raise ApiError("invalid_cap_category", _("Kategori CAP tidak dikenal."), fields={"cap_category": ["invalid"]})
        out["cap_category"] = data["cap_category"]
    for name in ("valid_from", "valid_to"):
        if name in data or not partial:
            if not data.get(name):
                raise ApiError("validity_required", _("Masa berlaku (mulai dan akhir) wajib diisi."),
                               fields={name: ["required"]})
            out[name] = _parse_time(data[name], name)
    return out


def _check_validity(a: Announcement):
    if a.valid_to <= a.valid_from:
        raise ApiError("invalid_validity", _("Akhir masa berlaku harus sesudah awalnya."),
                       fields={"valid_to": ["before_start"]})
    if a.valid_to - a.valid_from > datetime.timedelta(days=settings.ANNOUNCEMENTS_MAX_VALIDITY_DAYS):
        raise ApiError("invalid_validity", _("Masa berlaku paling lama %(d)d hari.")
                       % {"d": settings.ANNOUNCEMENTS_MAX_VALIDITY_DAYS}, fields={"valid_to": ["too_long"]})


def _apply_target(a: Announcement, target: Target):
    a.target_kind = target.kind
    a.target_codes = target.target_codes
    a.reach_codes = target.reach_codes
    a.geom = target.geom
    a.target_source = target.source
    a.target_buffer_m = target.buffer_m


def _choose_speaker(*, user, target: Target, agency_code: str | None):
    speakers = selectors.speakers_for(user=user, target=target)
    if agency_code:
        speakers = [s for s in speakers if s[0] is not None and s[0].code == agency_code]
    if not speakers:
        raise ApiError("area_not_yours", _("Anda tidak berwenang mengumumkan untuk wilayah ini."),
                       status_code=403, fields={"area": ["not_yours"]})
    return speakers[0]


def announcement_create(*, user, data: dict) -> Announcement:
    """A draft. The area is validated and the speaker chosen now."""
    fields = _clean_fields(data, partial=False)
    target = target_from_input(data.get("area") or {})
    agency, area = _choose_speaker(user=user, target=target, agency_code=data.get("agency"))
    a = Announcement(author=user, agency=agency, speaker_area=area, **fields)
    _apply_target(a, target)
    _check_validity(a)
    a.save()
    return a


def announcement_update_draft(*, announcement: Announcement, user, data: dict) -> Announcement:
    if announcement.status not in (S.DRAFT, S.PENDING):
        raise ApiError("not_a_draft", _("Hanya draf yang dapat diubah; gunakan koreksi."), status_code=409)
    fields = _clean_fields(data, partial=True)
    for k, v in fields.items():
        setattr(announcement, k, v)
    if data.get("area"):
        target = target_from_input(data["area"])
        agency, area = _choose_speaker(user=user, target=target, agency_code=data.get("agency"))
        announcement.agency, announcement.speaker_area = agency, area
        _apply_target(announcement, target)
    _check_validity(announcement)
    announcement.status = S.DRAFT
    announcement.save()
    return announcement


def _target_of(a: Announcement) -> Target:
    return Target(kind=a.target_kind, geom=a.geom, target_codes=list(a.target_codes),
                  reach_codes=list(a.reach_codes),
                  reach_desa=[c for c in a.reach_codes if c.count(".") == 3 and "/" not in c])


def user_may_edit(*, user, a: Announcement) -> bool:
    """The author, anyone who may speak for its area as its speaker, or an
    approver of its agency."""
    if user is None or not user.is_authenticated:
        return False
    if a.author_id == user.id:
        return True
    return any((ag and ag.id == a.agency_id) or (ar and ar.id == a.speaker_area_id)
               for ag, ar in selectors.speakers_for(user=user, target=_target_of(a))) or \
        selectors.user_may_approve(user=user, agency=a.agency)


ATTACHMENT_MAX_BYTES = 5 * 2**20


def attachment_add(*, announcement: Announcement, user, upload) -> Attachment:
    """A PDF, JPEG or PNG (sniffed, not trusted from the name) of at most
    5 MB on a draft the user may edit; its name passes the publication gate.
    Used by the API and the staff page's form."""
    a = announcement
    if not user_may_edit(user=user, a=a) or a.status not in (S.DRAFT, S.PENDING):
        raise ApiError("permission_denied", _("Lampiran hanya pada draf milik Anda."), status_code=403)
    if upload is None:
        raise ApiError("file_required", _("Pilih berkas."), fields={"file": ["required"]})
    head = upload.read(8)
    upload.seek(0)
    kind = ("application/pdf" if head.startswith(b"%PDF") else "image/png" if head.startswith(b"\x89PNG")
            else "image/jpeg" if head.startswith(b"\xff\xd8") else None)
    if kind is None:
        raise ApiError("unsupported_attachment", _("Lampiran harus PDF, JPEG atau PNG."), fields={"file": ["type"]})
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ApiError("too_large", _("Lampiran paling besar 5 MB."), status_code=413, fields={"file": ["size"]})
    name = (upload.name or "lampiran")[-200:]
    announcement_gate(texts={"file": name})
    return Attachment.objects.create(announcement=a, file=upload, name=name, content_type=kind, size_bytes=upload.size)


def _check_may_speak(*, user, a: Announcement):
    for agency, area in selectors.speakers_for(user=user, target=_target_of(a)):
        if (agency and agency.id == a.agency_id) or (area and area.id == a.speaker_area_id):
            return
    raise ApiError("area_not_yours", _("Anda tidak berwenang mengumumkan untuk wilayah ini."), status_code=403)


def _gate(a: Announcement, exemption_basis: str = ""):
    announcement_gate(texts={n: getattr(a, n) for n in TEXT_FIELDS}, exemption_basis=exemption_basis)


def _check_rate(*, a: Announcement, now):
    if a.kind == Kind.EMERGENCY:
        return
    limit, seconds = settings.ANNOUNCEMENTS_SENDER_RATE
    speaker = {"announcement__agency_id": a.agency_id} if a.agency_id else {"announcement__speaker_area_id": a.speaker_area_id}
    recent = (Message.objects.filter(msg_type=Message.MsgType.ALERT, sent_at__gt=now - datetime.timedelta(seconds=seconds),
                                     **speaker).exclude(announcement__kind=Kind.EMERGENCY).count())
    if recent >= limit:
        raise ApiError("sender_rate_limited",
                       _("Batas %(n)d pengumuman per %(m)d menit untuk pengirim ini sudah tercapai; coba lagi nanti.")
                       % {"n": limit, "m": seconds // 60}, status_code=429)


def announcement_publish(*, announcement_id, user, exemption_basis: str = "", now=None) -> Announcement:
    """Publish a draft (or ask for approval when the kind needs it)."""
    now = now or timezone.now()
    with transaction.atomic():
        a = Announcement.objects.select_for_update().filter(id=announcement_id).first()
        if a is None:
            raise ApiError("not_found", _("Pengumuman tidak ditemukan."), status_code=404)
        if a.status not in (S.DRAFT, S.PENDING):
            raise ApiError("already_published", _("Pengumuman ini sudah terbit atau dicabut."), status_code=409)
        _check_may_speak(user=user, a=a)
        _gate(a, exemption_basis)
        _check_validity(a)
        if a.valid_to <= now:
            raise ApiError("invalid_validity", _("Masa berlaku sudah lewat."), fields={"valid_to": ["past"]})
        if not selectors.user_may_publish_directly(user=user, kind=a.kind, agency=a.agency):
            a.status = S.PENDING
            a.save(update_fields=["status", "updated_at"])
            return a
        _check_rate(a=a, now=now)
        if a.kind == Kind.EMERGENCY and a.approved_by_id is None:
            a.approved_by, a.approved_at = user, now
        return _publish_locked(a=a, now=now, msg_type=Message.MsgType.ALERT, note="")


def announcement_approve(*, announcement_id, user, now=None) -> Announcement:
    now = now or timezone.now()
    with transaction.atomic():
        a = Announcement.objects.select_for_update().filter(id=announcement_id).first()
        if a is None:
            raise ApiError("not_found", _("Pengumuman tidak ditemukan."), status_code=404)
        if a.status != S.PENDING:
            raise ApiError("not_pending", _("Pengumuman ini tidak sedang menunggu persetujuan."), status_code=409)
        if a.author_id == user.id or not selectors.user_may_approve(user=user, agency=a.agency):
            raise ApiError("permission_denied", _("Persetujuan darurat oleh BPBD atau kepala instansi."),
                           status_code=403)
        _gate(a)
        a.approved_by, a.approved_at = user, now
        return _publish_locked(a=a, now=now, msg_type=Message.MsgType.ALERT, note="")


def _publish_locked(*, a: Announcement, now, msg_type: str, note: str) -> Announcement:
    if msg_type == Message.MsgType.CANCEL:
        a.status, a.withdrawn_at = S.WITHDRAWN, now
    else:
        a.status = S.PUBLISHED
        a.published_at = a.published_at or now
        a.version += 1
    a.save()
    sequence = a.messages.count() + 1
    message = Message.objects.create(announcement=a, msg_type=msg_type, sequence=sequence, sent_at=now, note=note)
    message.matched = deliveries_plan(message=message, now=now)
    message.save(update_fields=["matched"])
    # The kick travels through the durable outbox in this transaction; the
    # recipients' rows (announcements_delivery) are committed with it.
    outbox.enqueue(OUTBOX_KIND, {"message_id": message.id}, key=f"announcements:message:{message.id}")
    return a


def announcement_correct(*, announcement_id, user, data: dict, note: str, now=None) -> Announcement:
    """A correction reaches everyone the earlier messages reached, plus whoever
    the corrected area now reaches (CAP Update)."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise ApiError("note_required", _("Sebutkan apa yang dikoreksi."), fields={"note": ["required"]})
    with transaction.atomic():
        a = Announcement.objects.select_for_update().filter(id=announcement_id).first()
        if a is None:
            raise ApiError("not_found", _("Pengumuman tidak ditemukan."), status_code=404)
        if a.status != S.PUBLISHED:
            raise ApiError("not_published", _("Hanya pengumuman yang terbit dapat dikoreksi."), status_code=409)
        _check_may_speak(user=user, a=a)
        fields = _clean_fields(data, partial=True)
        fields.pop("kind", None)
        for k, v in fields.items():
            setattr(a, k, v)
        if data.get("area"):
            target = target_from_input(data["area"])
            _apply_target(a, target)
            _check_may_speak(user=user, a=a)
        _check_validity(a)
        _gate(a)
        announcement_gate(texts={"note": note})
        return _publish_locked(a=a, now=now, msg_type=Message.MsgType.UPDATE, note=note.strip())


def announcement_withdraw(*, announcement_id, user, note: str, now=None) -> Announcement:
    now = now or timezone.now()
    if not (note or "").strip():
        raise ApiError("note_required", _("Sebutkan alasan pencabutan."), fields={"note": ["required"]})
    announcement_gate(texts={"note": note})
    with transaction.atomic():
        a = Announcement.objects.select_for_update().filter(id=announcement_id).first()
        if a is None:
            raise ApiError("not_found", _("Pengumuman tidak ditemukan."), status_code=404)
        if a.status != S.PUBLISHED:
            raise ApiError("not_published", _("Hanya pengumuman yang terbit dapat dicabut."), status_code=409)
        _check_may_speak(user=user, a=a)
        return _publish_locked(a=a, now=now, msg_type=Message.MsgType.CANCEL, note=note.strip())


def deliveries_plan(*, message: Message, now) -> int:
    """One INSERT ... SELECT: the subscriptions the area reaches now, plus
    every subscription an earlier message of the same announcement reached
    (so corrections and withdrawals reach the same people). Unique per
    (message, subscription): nothing is planned twice."""
    a = message.announcement
    params = selectors.match_params(geom=a.geom, codes=a.reach_codes)
    params.update({"message": message.id, "now": now, "announcement": a.id})
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO announcements_delivery (message_id, subscription_id, status, attempts, not_before, last_error,
                                                regency_code)
            SELECT %(message)s, r.id, 'pending', 0, %(now)s, '', s.regency_code
              FROM ({selectors.MATCH_SQL}
                    UNION
                    SELECT d.subscription_id FROM announcements_delivery AS d
                      JOIN announcements_message AS m ON m.id = d.message_id
                     WHERE m.announcement_id = %(announcement)s) AS r
              JOIN announcements_subscription AS s ON s.id = r.id
            ON CONFLICT DO NOTHING""", params)
        return cursor.rowcount


OUTBOX_KIND = "announcements.deliver"


def outbox_deliver(payload: dict, *, key: str) -> None:
    """Outbox handler: send what is due (this message's rows and any other).
    Rows deferred by quiet hours or a failed attempt are sent by the beat task
    announcements.deliver when due."""
    from .delivery import deliveries_run

    deliveries_run()


# --- subscriptions ---------------------------------------------------------

PHONE_NORMAL = re.compile(r"^(\+?62|0)8\d{7,12}$")


def _normal_phone(value: str) -> str:
    digits = re.sub(r"[\s\-.()]", "", str(value or ""))
    if not PHONE_NORMAL.match(digits):
        raise ApiError("invalid_phone", _("Nomor telepon tidak sah (mis. 0812xxxxxxxx)."), fields={"address": ["invalid"]})
    digits = digits.lstrip("+")
    if digits.startswith("62"):
        digits = digits[2:]
    return "+62" + digits.lstrip("0")


def subscription_create(*, user=None, device: PushDevice | None = None, data: dict) -> Subscription:
    channel = data.get("channel")
    if channel not in Subscription.Channel.values:
        raise ApiError("invalid_channel", _("Saluran tidak dikenal."), fields={"channel": ["invalid"]})
    target = data.get("target")
    if target not in Subscription.Target.values:
        raise ApiError("invalid_target", _("Sasaran langganan tidak dikenal."), fields={"target": ["invalid"]})
    address = ""
    if channel == Subscription.Channel.WEBPUSH:
        if device is None:
            raise ApiError("device_required", _("Langganan Web Push memerlukan izin notifikasi peramban."),
                           fields={"push": ["required"]})
    elif user is None or not user.is_authenticated:
        raise ApiError("not_authenticated", _("Masuk (login) untuk berlangganan lewat e-mail, SMS atau WhatsApp."),
                       status_code=401)
    elif channel == Subscription.Channel.EMAIL:
        address = str(data.get("address") or user.email or "").strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            raise ApiError("invalid_email", _("Alamat e-mail tidak sah."), fields={"address": ["invalid"]})
    else:
        address = _normal_phone(data.get("address") or "")
    wants_ann = bool(data.get("announcements", True))
    wants_rep = bool(data.get("reports", False))
    if not (wants_ann or wants_rep):
        raise ApiError("nothing_to_follow", _("Pilih pengumuman dan/atau laporan baru."), fields={"announcements": ["required"]})
    sub = Subscription(user=user if user is not None and user.is_authenticated else None, device=device,
                       channel=channel, address=address, target=target,
                       wants_announcements=wants_ann, wants_reports=wants_rep)
    if target == Subscription.Target.POINT:
        try:
            lon, lat = float(data["lon"]), float(data["lat"])
            radius = int(data.get("radius_m", 1000))
        except (KeyError, TypeError, ValueError):
            raise ApiError("invalid_point", _("Titik (lon, lat) dan radius (meter) wajib diisi."),
                           fields={"lon": ["required"], "lat": ["required"]}) from None
        lo, hi = settings.ANNOUNCEMENTS_SUBSCRIPTION_RADIUS_M
        if not lo <= radius <= hi:
            raise ApiError("invalid_radius", _("Radius harus antara %(lo)d dan %(hi)d meter.") % {"lo": lo, "hi": hi},
                           fields={"radius_m": ["out_of_range"]})
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ApiError("invalid_point", _("Koordinat di luar rentang."), fields={"lon": ["invalid"]})
        from geo.selectors import point_locate
        if point_locate(lon=lon, lat=lat) is None:
            raise ApiError("outside_coverage", _("Titik di luar wilayah Kabupaten Kubu Raya."), status_code=404)
        sub.point, sub.radius_m = Point(lon, lat, srid=4326), radius
        with connection.cursor() as cursor:
            cursor.execute("SELECT ST_AsEWKB(ST_Buffer(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, "
                           "'quad_segs=8')::geometry)", [lon, lat, radius])
            sub.reach = GEOSGeometry(memoryview(bytes(cursor.fetchone()[0])))
    elif target == Subscription.Target.AREA:
        code = str(data.get("area_code") or "").strip()
        area = Area.objects.filter(edition=edition_current(), code=code).exclude(level=Area.Level.KABUPATEN).first()
        if area is None:
            raise ApiError("unknown_area", _("Kode wilayah tidak dikenal."), fields={"area_code": ["unknown"]})
        sub.area_code = code
    else:
        from reports.models import Report
        report = by_tracking_code(Report.objects.all(), str(data.get("report") or "").strip().upper())
        if report is None or not _report_public(report):
            raise ApiError("unknown_report", _("Laporan tidak ditemukan."), fields={"report": ["unknown"]})
        sub.report = report
        sub.wants_announcements, sub.wants_reports = False, True
    sub.save()
    return sub


def _report_public(report) -> bool:
    from reports.policy import reports_public
    return reports_public().filter(id=report.id).exists()


def push_device_register(*, data: dict) -> PushDevice:
    """The browser's PushSubscription JSON: endpoint + keys.p256dh/auth."""
    endpoint = (data or {}).get("endpoint") or ""
    keys = (data or {}).get("keys") or {}
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")) or len(endpoint) > 1000:
        raise ApiError("invalid_push", _("Langganan push tidak sah."), fields={"push": ["endpoint"]})
    if not isinstance(keys, dict) or not keys.get("p256dh") or not keys.get("auth"):
        raise ApiError("invalid_push", _("Langganan push tidak sah."), fields={"push": ["keys"]})
    device, _created = PushDevice.objects.update_or_create(
        endpoint=endpoint, defaults={"p256dh": str(keys["p256dh"])[:200], "auth": str(keys["auth"])[:100]})
    return device


def subscription_cancel(*, token) -> bool:
    return Subscription.objects.filter(token=token, active=True).update(active=False) > 0
