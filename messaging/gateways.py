"""One way to send a message to a person: e-mail, SMS or WhatsApp.

    from messaging.gateways import send
    send("sms", "+6281234567890", "Laporan KR-ABCD-EFGH: selesai", key="report:42:status:7")

E-mail goes through Django's mail (EMAIL_BACKEND). SMS and WhatsApp go through
the gateway class named in settings.MESSAGING_GATEWAYS[channel]; the default is
`SimulatorGateway`, which stores the message in messaging.SimulatedMessage so
tests and the demo can read what the phone received. A real provider is a
configuration change: `HttpGateway` posts JSON to MESSAGING_HTTP_URL (most SMS /
WhatsApp providers, or a small adapter in front of one, accept that), or name
any class with the same `send(channel, to, body, *, key) -> str` method.

`key` makes sending idempotent: a second call with the same (channel, key)
sends nothing and returns the first call's result, so an outbox handler may be
called again after a crash. Delivery is at-least-once: a process that dies
between the provider's acceptance and the log row may send once more.
"""
from __future__ import annotations

import json
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from .models import Channel, SentMessage, SimulatedMessage

CHANNELS = tuple(Channel.values)  # ("email", "sms", "whatsapp")

DEFAULT_GATEWAYS = {
    "sms": "messaging.gateways.SimulatorGateway",
    "whatsapp": "messaging.gateways.SimulatorGateway",
}


class GatewayError(Exception):
    """The provider refused or could not be reached; the caller (outbox) retries."""


class SimulatorGateway:
    """Stores the message instead of sending it (tests, demo, development)."""

    def send(self, channel: str, to: str, body: str, *, key: str) -> str:
        msg, _ = SimulatedMessage.objects.get_or_create(
            channel=channel, key=key, defaults={"to": to, "body": body})
        return f"sim-{msg.pk}"


class HttpGateway:
    """POSTs {"channel", "to", "body", "key"} as JSON to settings.MESSAGING_HTTP_URL,
    with `Authorization: Bearer MESSAGING_HTTP_TOKEN` when set; a 2xx answer is
    accepted and its JSON "id" (if any) kept as the provider's message id."""

    def send(self, channel: str, to: str, body: str, *, key: str) -> str:
        url = settings.MESSAGING_HTTP_URL
        if not url:
            raise GatewayError("MESSAGING_HTTP_URL is not set")
        data = json.dumps({"channel": channel, "to": to, "body": body, "key": key}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        token = getattr(settings, "MESSAGING_HTTP_TOKEN", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=getattr(settings, "MESSAGING_HTTP_TIMEOUT", 10)) as resp:
                raw = resp.read()
        except Exception as exc:  # HTTPError (4xx/5xx), URLError, timeout
            raise GatewayError(f"{channel} gateway: {exc}") from exc
        try:
            return str(json.loads(raw or b"{}").get("id", ""))
        except (ValueError, AttributeError):
            return ""


def gateway_for(channel: str):
    paths = {**DEFAULT_GATEWAYS, **getattr(settings, "MESSAGING_GATEWAYS", {})}
    path = paths[channel]
    return path, import_string(path)()


def _send_email(to: str, subject: str, body: str, key: str) -> str:
    message = EmailMessage(subject=subject or body.splitlines()[0][:78], body=body, to=[to],
                           headers={"X-KR-Message-Key": key})
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        raise GatewayError(f"email: {exc}") from exc
    return ""


def send(channel: str, to: str, body: str, *, subject: str = "", key: str) -> bool:
    """Send `body` to `to` on `channel` ("email" | "sms" | "whatsapp").

    Returns True if sent now, False if (channel, key) was sent before (nothing
    sent again). Raises ValueError on a bad channel / empty address / empty key
    and GatewayError when the provider fails (nothing is logged, so a retry
    sends)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
    if not to or not key or not body:
        raise ValueError("to, body and key are required")
    if SentMessage.objects.filter(channel=channel, key=key).exists():
        return False
    if channel == Channel.EMAIL:
        path, provider_id = "django.core.mail", _send_email(to, subject, body, key)
    else:
        path, gateway = gateway_for(channel)
        provider_id = gateway.send(channel, to, body, key=key) or ""
    try:
        with transaction.atomic():
            SentMessage.objects.create(channel=channel, key=key, to=to, gateway=path,
                                       provider_id=provider_id[:200])
    except IntegrityError:  # a concurrent call with the same key logged first
        return False
    return True


def simulated_inbox(to: str, channel: str | None = None):
    """What the simulator delivered to `to` (oldest first): for tests and the demo."""
    qs = SimulatedMessage.objects.filter(to=to)
    return qs.filter(channel=channel) if channel else qs
