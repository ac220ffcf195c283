"""Residents (warga) of RT Online: accounts by phone or e-mail with a
one-time code, the reports a resident follows, the device secret that lets an
anonymous reporter's phone follow and dispute its reports.

The resident's contact (phone, e-mail) is personal data (P3, domain.md 7.5):
it lives here, not on the User row, is read only by its owner and by the
sending of their updates, and is deleted with `resident_erase` (UU PDP Pasal 8,
like ppid.services.requester_unregister). Sign-in codes are stored hashed and
removed once used or expired (`codes_purge`).
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.regency import regency_field


class Resident(models.Model):
    class Channel(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        SMS = "sms", "SMS"
        EMAIL = "email", _("E-mail")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident")
    phone = models.CharField(max_length=20, null=True, blank=True, unique=True, help_text="E.164, e.g. +6281234567890.")
    email = models.EmailField(null=True, blank=True, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, help_text="Where updates are sent.")
    consent_at = models.DateTimeField(help_text="When the resident agreed to the processing (UU PDP Pasal 20).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(phone__isnull=False) | models.Q(email__isnull=False),
                                              name="residents_resident_has_contact")]

    def __str__(self):
        return f"resident #{self.pk}"

    @property
    def address(self) -> str:
        """Where this resident's messages go on their channel."""
        return (self.email if self.channel == self.Channel.EMAIL else self.phone) or ""


class SignInCode(models.Model):
    """A one-time code sent to a phone or address; only its hash is kept."""

    destination = models.CharField(max_length=254, db_index=True, help_text="E.164 phone or lower-case e-mail.")
    channel = models.CharField(max_length=10, choices=Resident.Channel.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


class Follow(models.Model):
    """A signed-in resident follows a report: every public status change is sent to them."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "report"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="residents_follow_once")]


class DeviceSupport(models.Model):
    """ "Dukung laporan ini" from a phone without an account (once per phone)."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+")
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "report"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "secret_hash"], name="residents_device_support_once")]


class FixConfirmation(models.Model):
    """The reporter's answer to "is it fixed?" after a resolution."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+")
    fixed = models.BooleanField()
    created_at = models.DateTimeField()
    regency_code = regency_field()
    regency_from = "report"


class ClientRequest(models.Model):
    """A confirm / dispute / follow sent with the id the phone gave it
    (`client_id`, made when the resident pressed the button, perhaps offline):
    stored in the same transaction as its effect, so the phone's service worker
    may send it again (a lost answer, a second flush) and it is applied once."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", "Confirm fixed"
        DISPUTE = "dispute", "Dispute"
        FOLLOW = "follow", "Follow"
        UNFOLLOW = "unfollow", "Unfollow"

    client_id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+")
    # Who sent it: an account, or the filing phone's device secret (hashed).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    secret_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "report"
