"""Delivering announcements: due Delivery rows are taken in batches (row
locks, SKIP LOCKED, so several workers share the work), each rendered for its
channel and handed to `send_message`, the one place that talks to channels.

Nothing lost: a row stays `pending` until its send returned; a crash before
the commit leaves it pending and it is sent again with the same key (the
gateway and the outbox deduplicate by key). Nothing sent twice: one row per
(message, subscription). Quiet hours (ANNOUNCEMENTS_QUIET_HOURS, WIB) defer
everything but emergencies and e-mail to the end of the quiet period; a
failure is retried with exponential backoff, then marked failed.
"""
import datetime
import json
import logging
import zoneinfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Delivery, Kind, Message, Subscription

log = logging.getLogger(__name__)
WIB = zoneinfo.ZoneInfo("Asia/Pontianak")
PREFIX = {Kind.INFORMATION: "Pengumuman", Kind.DISRUPTION: "Gangguan layanan",
          Kind.WARNING: "PERINGATAN", Kind.EMERGENCY: "DARURAT"}
MSG_PREFIX = {Message.MsgType.ALERT: "", Message.MsgType.UPDATE: "KOREKSI: ", Message.MsgType.CANCEL: "DICABUT: "}


class ChannelUnavailable(RuntimeError):
    """The channel is not configured here (e.g. no VAPID key, no gateway)."""


def quiet_until(now: datetime.datetime) -> datetime.datetime | None:
    """The end of the quiet period `now` falls in, or None."""
    start, end = settings.ANNOUNCEMENTS_QUIET_HOURS
    local = now.astimezone(WIB)
    hour = local.hour
    if not (hour >= start or hour < end):
        return None
    day = local.date() + datetime.timedelta(days=1 if hour >= start else 0)
    return datetime.datetime.combine(day, datetime.time(end), tzinfo=WIB).astimezone(datetime.timezone.utc)


def base_url() -> str:
    return settings.REPORTS_PUBLIC_BASE_URL.rstrip("/")


def render(*, kind, msg_type, title, body, valid_to, public_id, token, note, channel) -> tuple[str, str]:
    """(subject, text) in Bahasa Indonesia; every text ends with the unsubscribe link."""
    subject = f"[{PREFIX[kind]}] {MSG_PREFIX[msg_type]}{title}"
    link = f"{base_url()}/pengumuman/{public_id}/"
    stop = f"{base_url()}/pengumuman/berhenti/{token}/"
    until = valid_to.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
    if channel in (Subscription.Channel.SMS, Subscription.Channel.WHATSAPP, Subscription.Channel.WEBPUSH):
        text = f"{subject}. {note + '. ' if note else ''}{link} Berhenti: {stop}"
        if channel == Subscription.Channel.WHATSAPP:
            text = f"{subject}\n{body[:600]}\nBerlaku s.d. {until}\n{link}\nBerhenti berlangganan: {stop}"
        return subject, text
    lines = [subject, ""]
    if note:
        lines += [f"Catatan: {note}", ""]
    lines += [body, "", f"Berlaku sampai {until}.", f"Selengkapnya: {link}", "",
              f"Berhenti berlangganan: {stop}"]
    return subject, "\n".join(lines)


def render_report(*, title, status, tracking_code, token, channel) -> tuple[str, str]:
    """A report alert: category, desa, status and the tracking link only."""
    state = REPORT_STATUS.get(status, status)
    subject = f"[Laporan warga] {title}: {state}"
    link = f"{base_url()}/lacak/{tracking_code}/"
    stop = f"{base_url()}/pengumuman/berhenti/{token}/"
    if channel in (Subscription.Channel.SMS, Subscription.Channel.WHATSAPP, Subscription.Channel.WEBPUSH):
        return subject, f"{subject}. {link} Berhenti: {stop}"
    return subject, "\n".join([subject, "", f"Kode laporan: {tracking_code}", f"Lacak: {link}", "",
                               f"Berhenti berlangganan: {stop}"])


def send_message(*, channel: str, address: str, subject: str, text: str, key: str, push: dict | None = None,
                 urgency: str = "normal") -> None:
    """The one function that hands a message to a channel. Raises on failure.

    E-mail, SMS and WhatsApp go through messaging.gateways.send (idempotent by
    key: a row sent again after a crash is not sent twice; SMS/WhatsApp reach
    the local simulator unless a provider is configured); Web Push through
    pywebpush with the VAPID key."""
    if channel == Subscription.Channel.WEBPUSH:
        _webpush(push=push, payload={"title": subject, "body": text, "key": key,
                                     "url": text.split(" Berhenti:")[0].rsplit(" ", 1)[-1]}, urgency=urgency)
        return
    from messaging import gateways

    gateways.send(channel, address, text, subject=subject, key=key)


def simulator_batchable(channel: str) -> bool:
    """Whether `channel` goes to messaging's local simulator, which takes a
    whole batch in two statements (a real provider gets one call per message)."""
    if channel not in (Subscription.Channel.SMS, Subscription.Channel.WHATSAPP):
        return False
    from messaging.gateways import SimulatorGateway, gateway_for

    return gateway_for(channel)[0] == f"{SimulatorGateway.__module__}.{SimulatorGateway.__name__}"


def send_simulated_batch(items: list[tuple[str, str, str, str]]) -> None:
    """(channel, to, body, key) into the simulator, idempotent per (channel,
    key) exactly as messaging.gateways.send: what was stored before is not
    stored again. Two INSERTs for the batch instead of four statements per
    message (the benchmark's 1,000 messages/s)."""
    from messaging.gateways import SimulatorGateway
    from messaging.models import SentMessage, SimulatedMessage

    path = f"{SimulatorGateway.__module__}.{SimulatorGateway.__name__}"
    SimulatedMessage.objects.bulk_create([SimulatedMessage(channel=c, to=to, body=body, key=key)
                                          for c, to, body, key in items], ignore_conflicts=True)
    SentMessage.objects.bulk_create([SentMessage(channel=c, key=key, to=to, gateway=path)
                                     for c, to, _body, key in items], ignore_conflicts=True)


def _webpush(*, push: dict, payload: dict, urgency: str) -> None:
    if not settings.WEBPUSH_VAPID_PRIVATE_KEY:
        raise ChannelUnavailable("WEBPUSH_VAPID_PRIVATE_KEY is not set")
    from pywebpush import webpush

    webpush(subscription_info={"endpoint": push["endpoint"], "keys": {"p256dh": push["p256dh"], "auth": push["auth"]}},
            data=json.dumps(payload), vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.WEBPUSH_VAPID_SUBJECT}, ttl=86400,
            headers={"Urgency": urgency}, timeout=10)


DUE_SQL = """
SELECT d.id, d.attempts, s.id, s.active, s.channel, s.address, s.token, pd.endpoint, pd.p256dh, pd.auth,
       COALESCE(m.msg_type, 'Report'), COALESCE(m.note, ''), COALESCE(a.kind, 'information'),
       COALESCE(a.title_id, c.name_id || ' di ' || g.name), COALESCE(a.body_id, e.to_status),
       a.valid_to, a.public_id, r.tracking_code
  FROM announcements_delivery AS d
  JOIN announcements_subscription AS s ON s.id = d.subscription_id
  LEFT JOIN announcements_pushdevice AS pd ON pd.id = s.device_id
  LEFT JOIN announcements_message AS m ON m.id = d.message_id
  LEFT JOIN announcements_announcement AS a ON a.id = m.announcement_id
  LEFT JOIN reports_reportevent AS e ON e.id = d.report_event_id
  LEFT JOIN reports_report AS r ON r.id = e.report_id
  LEFT JOIN reports_category AS c ON c.id = r.category_id
  LEFT JOIN geo_area AS g ON g.id = r.desa_id
 WHERE d.status = 'pending' AND d.not_before <= %s
 ORDER BY d.not_before, d.id
 LIMIT %s
   FOR UPDATE OF d SKIP LOCKED
"""

REPORT_STATUS = {"received": "diterima", "verified": "terverifikasi", "dispatched": "diteruskan ke instansi",
                 "in_progress": "sedang dikerjakan", "resolved": "selesai", "rejected": "ditolak",
                 "not_our_authority": "bukan wewenang", "merged": "digabung"}


def deliveries_run(*, now: datetime.datetime | None = None, batch: int = 500, max_batches: int | None = None) -> dict:
    """Send what is due; returns counts {sent, deferred, failed, skipped, retry}."""
    counts = {"sent": 0, "deferred": 0, "failed": 0, "skipped": 0, "retry": 0}
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        current = now or timezone.now()
        quiet = quiet_until(current)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(DUE_SQL, [current, batch])
                rows = cursor.fetchall()
            if not rows:
                break
            updates = []   # (id, status, attempts, not_before, sent_at, error)
            simulated = []  # (delivery id, attempts, (channel, to, body, key))
            batchable = {c: simulator_batchable(c) for c in (Subscription.Channel.SMS, Subscription.Channel.WHATSAPP)}
            for (did, attempts, _sid, active, channel, address, token, endpoint, p256dh, auth,
                 msg_type, note, kind, title, body, valid_to, public_id, tracking_code) in rows:
                if not active:
                    updates.append((did, "skipped", attempts, current, None, ""))
                    counts["skipped"] += 1
                    continue
                if quiet and kind != Kind.EMERGENCY and channel != Subscription.Channel.EMAIL:
                    updates.append((did, "pending", attempts, quiet, None, ""))
                    counts["deferred"] += 1
                    continue
                if tracking_code:
                    subject, text = render_report(title=title, status=body, tracking_code=tracking_code, token=token,
                                                  channel=channel)
                else:
                    subject, text = render(kind=kind, msg_type=msg_type, title=title, body=body, valid_to=valid_to,
                                           public_id=public_id, token=token, note=note, channel=channel)
                if batchable.get(channel):
                    simulated.append((did, attempts, (channel, address, text, f"ann-{did}")))
                    continue
                try:
                    send_message(channel=channel, address=address, subject=subject, text=text, key=f"ann-{did}",
                                 push={"endpoint": endpoint, "p256dh": p256dh, "auth": auth},
                                 urgency="high" if kind == Kind.EMERGENCY else "normal")
                except Exception as exc:  # noqa: BLE001 - any channel failure is retried, then recorded
                    attempts += 1
                    error = f"{type(exc).__name__}: {exc}"[:1000]
                    if attempts >= settings.ANNOUNCEMENTS_DELIVERY_ATTEMPTS:
                        updates.append((did, "failed", attempts, current, None, error))
                        counts["failed"] += 1
                    else:
                        retry_at = current + datetime.timedelta(seconds=30 * 2 ** attempts)
                        updates.append((did, "pending", attempts, retry_at, None, error))
                        counts["retry"] += 1
                    log.warning("announcement delivery %s failed (attempt %d): %s", did, attempts, error)
                    continue
                updates.append((did, "sent", attempts + 1, current, current, ""))
                counts["sent"] += 1
            if simulated:
                try:
                    with transaction.atomic():
                        send_simulated_batch([item for _did, _a, item in simulated])
                except Exception as exc:  # noqa: BLE001 - the whole batch is retried
                    error = f"{type(exc).__name__}: {exc}"[:1000]
                    for did, attempts, _item in simulated:
                        updates.append((did, "pending", attempts + 1,
                                        current + datetime.timedelta(seconds=30 * 2 ** (attempts + 1)), None, error))
                    counts["retry"] += len(simulated)
                else:
                    updates += [(did, "sent", attempts + 1, current, current, "") for did, attempts, _i in simulated]
                    counts["sent"] += len(simulated)
            with connection.cursor() as cursor:
                cursor.execute("""
                    UPDATE announcements_delivery AS d
                       SET status = u.status, attempts = u.attempts, not_before = u.not_before,
                           sent_at = u.sent_at, last_error = u.error
                      FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::timestamptz[], %s::timestamptz[], %s::text[])
                           AS u(id, status, attempts, not_before, sent_at, error)
                     WHERE d.id = u.id""", [list(col) for col in zip(*updates)])
        if len(rows) < batch:
            break
    return counts
