"""Announcements (pengumuman) the government and the RT send to residents, the
subscriptions by place that receive them, and one delivery row per recipient.

Geometry: the target area is ONE MultiPolygon in EPSG:4326 (GiST-indexed) plus
the codes it was given as (`target_codes`) and the codes of every area it
reaches (`reach_codes`: the desa it overlaps, their kecamatan, the RT/RW units
below those desa; for an RT-level announcement only the RT). A subscription
to a point with a radius stores its circle as a polygon (`reach`, GiST); one to
an area stores the code. Matching is one statement over both indexes
(announcements.selectors.subscriptions_matching_sql).
"""
import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.utils.translation import gettext_lazy as _

from common.regency import regency_field

STORAGE_SRID = 4326


class Kind(models.TextChoices):
    INFORMATION = "information", _("Informasi")
    DISRUPTION = "disruption", _("Pemberitahuan gangguan")
    WARNING = "warning", _("Peringatan")
    EMERGENCY = "emergency", _("Darurat")


class Announcement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draf")
        PENDING = "pending", _("Menunggu persetujuan")
        PUBLISHED = "published", _("Terbit")
        WITHDRAWN = "withdrawn", _("Dicabut")

    class TargetKind(models.TextChoices):
        CODES = "codes", _("Kode wilayah")
        POLYGON = "polygon", _("Poligon")
        BUFFER = "buffer", _("Radius sekitar titik/garis")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    title_id = models.CharField(max_length=160)
    title_en = models.CharField(max_length=160, blank=True)
    body_id = models.TextField()
    body_en = models.TextField(blank=True)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="announcements")
    # Who speaks: an agency (its service areas / the regency) or an area (camat, desa, RT).
    agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.PROTECT)
    speaker_area = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    target_kind = models.CharField(max_length=8, choices=TargetKind.choices)
    target_codes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # Buffer targets: the point or line and its distance (CAP <circle> for a point).
    target_source = models.GeometryField(srid=STORAGE_SRID, null=True, blank=True)
    target_buffer_m = models.PositiveIntegerField(null=True, blank=True)
    geom = models.MultiPolygonField(srid=STORAGE_SRID, null=True, blank=True,
                                    help_text="The target area; null only for RT units without a boundary.")
    reach_codes = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # CAP 1.2 <category> (warnings and emergencies).
    cap_category = models.CharField(max_length=10, default="Safety", choices=[
        (c, c) for c in ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport",
                         "Infra", "CBRNE", "Other")])
    source_report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", help_text="Informasi serta-merta offered from this report.")
    version = models.PositiveIntegerField(default=0, help_text="Publications so far (1 = first, 2+ = corrections).")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    regency_code = regency_field()
    regency_from = ("agency", "speaker_area")

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            GinIndex(fields=["reach_codes"], name="ann_reach_codes_gin"),
            models.Index(fields=["status", "valid_to"], name="ann_status_valid"),
        ]

    def __str__(self):
        return self.title_id

    @property
    def is_cap(self) -> bool:
        return self.kind in (Kind.WARNING, Kind.EMERGENCY)


def _attachment_path(instance, filename):
    return f"announcements/{instance.announcement.public_id}/{uuid.uuid4().hex}-{filename[-80:]}"


class Attachment(models.Model):
    announcement = models.ForeignKey(Announcement, related_name="attachments", on_delete=models.CASCADE)
    file = models.FileField(upload_to=_attachment_path)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveIntegerField()
    regency_code = regency_field()
    regency_from = "announcement"


class Message(models.Model):
    """One publication of an announcement: the first (CAP Alert), a correction
    (Update) or the withdrawal (Cancel). Each is one CAP document and one
    round of deliveries."""

    class MsgType(models.TextChoices):
        ALERT = "Alert", _("Terbit")
        UPDATE = "Update", _("Koreksi")
        CANCEL = "Cancel", _("Pencabutan")

    announcement = models.ForeignKey(Announcement, related_name="messages", on_delete=models.CASCADE)
    msg_type = models.CharField(max_length=6, choices=MsgType.choices)
    sequence = models.PositiveIntegerField()
    sent_at = models.DateTimeField()
    note = models.TextField(blank=True, help_text="What was corrected, or why it was withdrawn.")
    matched = models.PositiveIntegerField(default=0)
    regency_code = regency_field()
    regency_from = "announcement"

    class Meta:
        ordering = ["announcement_id", "sequence"]
        constraints = [models.UniqueConstraint(fields=["announcement", "sequence"], name="ann_message_seq")]

    @property
    def identifier(self) -> str:
        return f"kuburaya-{self.announcement.public_id}-{self.sequence}"


class PushDevice(models.Model):
    """An anonymous browser (Web Push subscription); no account needed."""

    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)


class Subscription(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBPUSH = "webpush", "Web Push"
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"

    class Target(models.TextChoices):
        POINT = "point", _("Titik dan radius")
        AREA = "area", _("Wilayah (desa, kecamatan, RT)")
        REPORT = "report", _("Satu laporan")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="place_subscriptions")
    device = models.ForeignKey(PushDevice, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="subscriptions")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254, blank=True, help_text="E-mail or phone (personal data; never public).")
    target = models.CharField(max_length=6, choices=Target.choices)
    point = models.PointField(srid=STORAGE_SRID, null=True, blank=True)
    radius_m = models.PositiveIntegerField(null=True, blank=True)
    reach = models.PolygonField(srid=STORAGE_SRID, null=True, blank=True,
                                help_text="The circle (point targets), geodesic, as a polygon.")
    area_code = models.CharField(max_length=40, blank=True, db_index=True)
    report = models.ForeignKey("reports.Report", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    wants_announcements = models.BooleanField(default=True)
    wants_reports = models.BooleanField(default=False)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="For the unsubscribe link.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = ("report", "area_code")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(target="point", reach__isnull=False)
                           | models.Q(target="area") & ~models.Q(area_code="")
                           | models.Q(target="report", report__isnull=False)),
                name="ann_subscription_target_defined"),
        ]


class Delivery(models.Model):
    """One message to one subscription: unique per (message, subscription), so
    nothing is sent twice; pending rows survive a crash, so nothing is lost.
    The cause is an announcement's message, or a public report's event (a new
    report near the subscriber, or a change of the one report followed)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal")
        SKIPPED = "skipped", _("Dilewati (berhenti berlangganan)")

    message = models.ForeignKey(Message, null=True, blank=True, related_name="deliveries", on_delete=models.CASCADE)
    report_event = models.ForeignKey("reports.ReportEvent", null=True, blank=True, related_name="+",
                                     on_delete=models.CASCADE)
    subscription = models.ForeignKey(Subscription, related_name="deliveries", on_delete=models.CASCADE)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(help_text="Quiet hours and retry backoff push this later.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    regency_code = regency_field()
    regency_from = "subscription"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "subscription"], name="ann_delivery_once"),
            models.UniqueConstraint(fields=["report_event", "subscription"], name="ann_delivery_report_once"),
            models.CheckConstraint(condition=models.Q(message__isnull=True) ^ models.Q(report_event__isnull=True),
                                   name="ann_delivery_one_cause"),
        ]
        indexes = [models.Index(fields=["status", "not_before"], name="ann_delivery_due",
                                condition=models.Q(status="pending"))]
