"""Messages sent to people outside the service (residents, requesters).

`SentMessage` is the idempotency log of messaging.gateways.send: one row per
(channel, key), so a caller that sends again after a crash or a retry (an
outbox handler) does not send twice. `SimulatedMessage` is the inbox of the
local simulator gateway (the default for SMS and WhatsApp): tests and the demo
read what a phone would have received. Both hold personal data (a phone
number or an address and the text): nothing public reads them, and the
retention job of the app that sent them deletes them with the person's data.
"""
from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class SentMessage(models.Model):
    channel = models.CharField(max_length=10, choices=Channel.choices)
    key = models.CharField(max_length=200, help_text="Caller's idempotency key (e.g. the outbox key).")
    to = models.CharField(max_length=254)
    gateway = models.CharField(max_length=100, help_text="Dotted path of the gateway class that sent it.")
    provider_id = models.CharField(max_length=200, blank=True,
                                   help_text="The provider's message id, when it gives one.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="messaging_sent_channel_key")]

    def __str__(self):
        return f"{self.channel}:{self.key} -> {self.to}"


class SimulatedMessage(models.Model):
    """What the simulator gateway 'delivered' (a phone's inbox, for tests and the demo)."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=254, db_index=True)
    body = models.TextField()
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="messaging_sim_channel_key")]

    def __str__(self):
        return f"{self.channel} -> {self.to}: {self.body[:40]}"
