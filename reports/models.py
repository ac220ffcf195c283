"""RT Online: citizen reports with a location, routed to the responsible
agency and followed to resolution (FixMyStreet, Open311 GeoReport v2,
SP4N-LAPOR!; domain.md 7.2-7.5).

Privacy is structural: the personal data of the person a report is about
(a sick neighbour, a victim) lives in `ReportSubject`, apart from the report,
and is read only by the handling agency through `reports.selectors`, each
read logged in `PersonalDataAccess`. What the public may see of a report is
decided only in `reports.policy`.
"""
import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from common.regency import regency_field
from common.publication import PublicationClass

STORAGE_SRID = settings.GEO_STORAGE_SRID  # EPSG:4326, lon/lat


class Category(models.Model):
    """One category of one taxonomy version.

    The taxonomy is versioned: a change of name, class or routing makes a new
    row with a higher `version` and retires the old one (`is_active=False`),
    so old reports keep the category they were filed under. At most one
    active row per code.
    """

    class AggregateLevel(models.TextChoices):
        DESA = "desa", _("Per desa")
        KECAMATAN = "kecamatan", _("Hanya per kecamatan")
        NONE = "none", _("Tidak dipublikasikan")

    code = models.SlugField(max_length=50)
    version = models.PositiveSmallIntegerField(default=1)
    name_id = models.CharField(max_length=150)
    name_en = models.CharField(max_length=150)
    group = models.CharField(max_length=50, blank=True, help_text="Open311 group, e.g. kesehatan.")
    publication_class = models.CharField(max_length=2, choices=PublicationClass.choices,
                                         help_text="Class of the single case (domain.md 7.3).")
    aggregate_level = models.CharField(
        max_length=9, choices=AggregateLevel.choices, default=AggregateLevel.DESA,
        help_text="Finest level at which counts may be published (KDRT: kecamatan).")
    serta_merta = models.BooleanField(default=False, help_text="May trigger an area-level public announcement.")
    default_agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", help_text="Null: the coordinator's triage queue.")
    target_days = models.PositiveSmallIntegerField(help_text="Resolution target in working days.")
    duplicate_radius_m = models.PositiveIntegerField(default=100, help_text="Metres (geodesic).")
    duplicate_window_days = models.PositiveSmallIntegerField(default=30)
    photo_required = models.BooleanField(default=False)
    force_confidential = models.BooleanField(
        default=False, help_text="Reporter identity always hidden (maladministration, whistle-blowing).")
    sort_order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="reports_category_code_version"),
            models.UniqueConstraint(fields=["code"], condition=models.Q(is_active=True),
                                    name="reports_category_one_active"),
        ]

    def __str__(self):
        return f"{self.code} v{self.version}"

    @property
    def is_open_class(self) -> bool:
        return self.publication_class == PublicationClass.P0


class RoutingRule(models.Model):
    """category x area (x service area) -> agency. The most specific matching
    rule wins (reports.routing explains the order)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routing_rules")
    area = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                             help_text="Desa, kecamatan or kabupaten; null = anywhere.")
    service_area = models.ForeignKey("geo.ServiceArea", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+", help_text="Null = any service area.")
    agency = models.ForeignKey("geo.Agency", on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)
    regency_code = regency_field()
    regency_from = "agency"

    class Meta:
        ordering = ["category", "id"]

    def __str__(self):
        return f"{self.category.code} -> {self.agency.code}"


class Report(models.Model):
    class Status(models.TextChoices):
        RECEIVED = "received", _("Diterima")
        VERIFIED = "verified", _("Diverifikasi")
        DISPATCHED = "dispatched", _("Didisposisi")
        IN_PROGRESS = "in_progress", _("Diproses")
        RESOLVED = "resolved", _("Selesai")
        REJECTED = "rejected", _("Ditolak")
        NOT_OUR_AUTHORITY = "not_our_authority", _("Bukan wewenang")
        MERGED = "merged", _("Digabung")

    class Channel(models.TextChoices):
        APP = "app", _("Aplikasi RT Online")
        WEB = "web", _("Web")
        OPEN311 = "open311", _("Open311")
        SP4N = "sp4n", _("SP4N-LAPOR!")
        WALK_IN = "walk_in", _("Datang langsung")
        IMPORT = "import", _("Impor")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4,
                          help_text="Chosen by the client: a retry with the same id creates nothing.")
    tracking_code = models.CharField(max_length=16, help_text="Short public code, e.g. KR-7GQ2-M4XZ.")
    # Indexed by the (category, status) and (agency, status) indexes below.
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports", db_index=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.APP)
    # Geometry, not geography: tiles and the && prefilter work on 4326
    # geometry. Metric radius queries prefilter with && on this column's
    # index and test the exact geodesic distance; the nearby search of open
    # reports uses the partial (agency_id, location::geography) index of
    # migration 0003.
    location = models.PointField(srid=STORAGE_SRID, help_text="EPSG:4326 (lon, lat) as captured by the phone.")
    accuracy_m = models.FloatField(null=True, blank=True, help_text="Reported GPS accuracy, metres.")
    desa = models.ForeignKey("geo.Area", on_delete=models.PROTECT, related_name="+")
    kecamatan = models.ForeignKey("geo.Area", null=True, on_delete=models.PROTECT, related_name="+")
    location_approximate = models.BooleanField(default=False, help_text="Nearest desa, not covering.")
    agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               db_index=False, help_text="Handling agency; null = the coordinator's triage queue.")
    routing_reason = models.CharField(max_length=300, blank=True)
    # reporter and merged_into: partial indexes below (most rows have neither:
    # imports, anonymous reports; every index entry costs each bulk insert).
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reports", db_index=False)
    on_behalf_of_rt = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", db_index=False, help_text="RT unit of a ketua RT filing for a resident.")
    confidential = models.BooleanField(default=False, help_text="Reporter identity hidden (rahasia).")
    anonymous = models.BooleanField(default=False, help_text="No reporter recorded.")
    description = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateField(help_text="Target date in working days (Asia/Pontianak calendar).")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="merged_reports", db_index=False)
    supporters_count = models.PositiveIntegerField(default=0, help_text="Merged duplicates and supporters.")
    is_synthetic = models.BooleanField(default=False)
    device_secret_hash = models.CharField(max_length=64, blank=True, default="", db_default="",
                                          help_text="SHA-256 of the device secret sent with the submission: the "
                                                    "one store of the filing phone (retries; following, confirming "
                                                    "and disputing without an account).")
    regency_code = regency_field()
    regency_from = "desa"

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status"], name="reports_agency_status"),
            models.Index(fields=["category", "status"], name="reports_category_status"),
            models.Index(fields=["created_at"], name="reports_created"),
            models.Index(fields=["reporter"], name="reports_reporter", condition=models.Q(reporter__isnull=False)),
            models.Index(fields=["merged_into"], name="reports_merged_into",
                         condition=models.Q(merged_into__isnull=False)),
            # The filing phone's reports ("Laporan saya" without an account).
            models.Index(fields=["device_secret_hash"], name="reports_device_secret",
                         condition=~models.Q(device_secret_hash="")),
        ]
        constraints = [
            # A constraint rather than unique=True: no extra LIKE index.
            models.UniqueConstraint(fields=["tracking_code"], name="reports_tracking_code_unique"),
            models.CheckConstraint(condition=~models.Q(status="resolved") | models.Q(resolved_at__isnull=False),
                                   name="reports_resolved_has_time"),
            models.CheckConstraint(condition=~models.Q(status="merged") | models.Q(merged_into__isnull=False),
                                   name="reports_merged_has_master"),
            models.CheckConstraint(condition=~models.Q(anonymous=True) | models.Q(reporter__isnull=True),
                                   name="reports_anonymous_has_no_reporter"),
        ]

    def __str__(self):
        return self.tracking_code

    CLOSED_STATUSES = ("resolved", "rejected", "merged")

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES


class ReportSubject(models.Model):
    """Personal data of the person the report is about (UU PDP specific data:
    health, age, condition). Only the handling agency reads it, and every
    read is logged (PersonalDataAccess)."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="subject")
    name = models.CharField(max_length=150, blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    condition = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "report"


class PersonalDataAccess(models.Model):
    """Who read whose personal data, when and why (UU PDP rekam jejak)."""

    class Kind(models.TextChoices):
        SUBJECT = "subject", _("Data pribadi orang yang dilaporkan")
        REPORTER = "reporter", _("Identitas pelapor rahasia")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=300)
    agency = models.ForeignKey("geo.Agency", null=True, on_delete=models.PROTECT, related_name="+")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    accessed_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "report"

    class Meta:
        ordering = ["-accessed_at"]


def _photo_path(instance, filename):
    return f"reports/{instance.report_id}/{uuid.uuid4().hex}{filename[filename.rfind('.'):]}"


class ReportPhoto(models.Model):
    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("Foto laporan")
        EVIDENCE = "evidence", _("Bukti penyelesaian")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    image = models.FileField(upload_to=_photo_path, help_text="Re-encoded; EXIF (incl. GPS) stripped.")
    content_type = models.CharField(max_length=30)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Public only when marked by the handling agency's staff and while the
    # report is public (PublicReportPhoto, migration 0012).
    public_approved_at = models.DateTimeField(
        null=True, blank=True, help_text="When a staff member of the handling agency marked it public.")
    public_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    regency_code = regency_field()
    regency_from = "report"


class ReportEvent(models.Model):
    """One timeline entry: a status change, a note, a re-route, a merge."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Laporan diterima")
        STATUS = "status", _("Perubahan status")
        NOTE = "note", _("Catatan")
        REROUTE = "reroute", _("Dialihkan ke instansi lain")
        MERGE = "merge", _("Digabung")
        DISPUTE = "dispute", _("Pelapor menyanggah penyelesaian")
        SUPPORT = "support", _("Dukungan warga")

    # Indexed by (report, created_at) below; no separate FK index.
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    public = models.BooleanField(default=False, help_text="Shown to the reporter and, per policy, the public.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", db_index=False)
    photo = models.ForeignKey(ReportPhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False)
    created_at = models.DateTimeField()
    regency_code = regency_field()
    regency_from = "report"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["report", "created_at"], name="reports_event_report")]


class RoutingDecision(models.Model):
    """Every assignment of a report to an agency (or to triage), with why."""

    class Kind(models.TextChoices):
        AUTOMATIC = "automatic", _("Otomatis saat diterima")
        DISPATCH = "dispatch", _("Disposisi koordinator")
        NOT_OUR_AUTHORITY = "not_ours", _("Bukan wewenang")
        REROUTE = "reroute", _("Dialihkan")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="routing_decisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "report"


class ReportSupport(models.Model):
    """A resident saying "me too" instead of filing a duplicate."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "report"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="reports_support_once")]


class Open311Key(models.Model):
    """An api_key for Open311 POST (one per client application)."""

    name = models.CharField(max_length=100)
    key = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)


class NotificationLog(models.Model):
    """Makes notifications idempotent: one row per (kind, object) sent."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)


class PublicReport(models.Model):
    """The public projection of a report: the table `reports_public_report`
    (migration 0011), the rule `reports_public_report_rule` (a view) kept
    materialised by triggers in the writing transaction, which holds only
    what the public may see: P0 categories, never confidential, rejected or merged; the point
    snapped to the public grid (common.publication.PUBLIC_GRID_DEG); the
    description scrubbed of personal data (common.scrub). There is no
    tracking code, reporter, channel, accuracy or subject in it. Every public
    output of reports reads this model (through reports.policy), never
    Report; a bypass would have to name Report in public code, which
    tests/privacy checks. The category, desa, kecamatan and agency codes and
    names are stored with each row, so a map tile or an OGC page reads this
    one table without joins (issue 25)."""

    id = models.UUIDField(primary_key=True)
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    status = models.CharField(max_length=20, choices=Report.Status.choices)
    location = models.PointField(srid=STORAGE_SRID)
    desa = models.ForeignKey("geo.Area", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    kecamatan = models.ForeignKey("geo.Area", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False)
    agency = models.ForeignKey("geo.Agency", null=True, on_delete=models.DO_NOTHING, related_name="+",
                               db_constraint=False)
    description = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True)
    deadline = models.DateField()
    supporters_count = models.PositiveIntegerField()
    is_synthetic = models.BooleanField()
    category_code = models.CharField(max_length=50, null=True)
    category_name = models.CharField(max_length=150, null=True)
    desa_code = models.CharField(max_length=40, null=True)
    desa_name = models.CharField(max_length=100, null=True)
    kecamatan_code = models.CharField(max_length=40, null=True)
    agency_code = models.CharField(max_length=50, null=True)
    agency_name = models.CharField(max_length=200, null=True)

    class Meta:
        managed = False
        db_table = "reports_public_report"
        ordering = ["-created_at"]

    @property
    def is_open(self) -> bool:
        return self.status not in Report.CLOSED_STATUSES


class PublicReportPhoto(models.Model):
    """The public projection of report photos: the database view
    `reports_public_photo` (migration 0012), photos a staff member of the
    handling agency marked public, of reports in reports_public_report only.
    Public pages read photos through this model, never ReportPhoto."""

    id = models.BigIntegerField(primary_key=True)
    report = models.ForeignKey(PublicReport, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    kind = models.CharField(max_length=10, choices=ReportPhoto.Kind.choices)
    image = models.FileField()
    content_type = models.CharField(max_length=30)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    public_approved_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "reports_public_photo"
        ordering = ["public_approved_at", "id"]
