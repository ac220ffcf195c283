"""Agency datasets (Satu Data Indonesia, Perpres 39/2019; domain.md 5, 7.6).

A producer (Produsen Data, an OPD) describes a `Dataset` with its Satu Data
metadata and KIP class and uploads files; each upload that passes validation
becomes a `DatasetVersion` awaiting the walidata's approval. Only an approved
version is published, and only through datasets.policy: a dataset
classed `dikecualikan` (Pasal 17) and every field marked exempt never leave
the service. Versions are kept; the published one is the latest approved.

The public projection (issue 16) is three database views (migration 0003),
read as the unmanaged `PublicDataset`, `PublicDatasetField` and
`PublicDatasetFeature`: only datasets with an approved published version
that are not `dikecualikan`, only their non-exempt fields, and only the
features of the published version with the exempt properties removed.
Every public output reads these, never the tables above.

Rows are `DatasetFeature`s: a geometry (spatial uploads) or a desa/kecamatan
of the reference edition (tabular uploads joined to the boundaries), plus the
typed properties as JSON. Field names are normalised at upload to
`[a-z][a-z0-9_]*`, so they are safe as SQL aliases.
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from common.regency import regency_field
from ppid.models import Pasal17

STORAGE_SRID = settings.GEO_STORAGE_SRID  # EPSG:4326, lon/lat


class KipClass(models.TextChoices):
    """UU 14/2008 information classes; the same values as layers.registry.KipClass."""

    BERKALA = "berkala", _("Informasi berkala (Pasal 9)")
    SERTA_MERTA = "serta_merta", _("Informasi serta merta (Pasal 10)")
    SETIAP_SAAT = "setiap_saat", _("Informasi tersedia setiap saat (Pasal 11)")
    DIKECUALIKAN = "dikecualikan", _("Informasi dikecualikan (Pasal 17)")


class Dataset(models.Model):
    class Kind(models.TextChoices):
        SPATIAL = "spatial", _("Spasial (GeoJSON, GeoPackage, Shapefile zip, CSV lon/lat)")
        DESA = "desa", _("Tabel per desa (kode desa Kemendagri)")
        KECAMATAN = "kecamatan", _("Tabel per kecamatan (kode kecamatan Kemendagri)")

    class Frequency(models.TextChoices):
        DAILY = "harian", _("Harian")
        MONTHLY = "bulanan", _("Bulanan")
        QUARTERLY = "triwulanan", _("Triwulanan")
        SEMESTER = "semesteran", _("Semesteran (6 bulan)")
        YEARLY = "tahunan", _("Tahunan")
        IRREGULAR = "tidak_tentu", _("Tidak tentu")

    slug = models.SlugField(max_length=60, unique=True, help_text="Layer id is dataset-<slug>.")
    title = models.CharField(max_length=200)
    description = models.TextField()
    kind = models.CharField(max_length=9, choices=Kind.choices)
    producer = models.ForeignKey("geo.Agency", on_delete=models.PROTECT, related_name="datasets",
                                 help_text="Produsen Data (OPD).")
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    licence = models.CharField(max_length=200, default="CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)")
    reference_edition = models.ForeignKey("geo.Edition", on_delete=models.PROTECT, related_name="+",
                                          help_text="Edition of the Kemendagri region codes the data uses.")
    kip_class = models.CharField(max_length=12, choices=KipClass.choices)
    legal_basis = models.CharField(max_length=300, help_text="e.g. UU 14/2008 Pasal 9 ayat (2) huruf b.")
    exemption_basis = models.CharField(max_length=3, choices=Pasal17.choices, blank=True)
    consequence_test = models.TextField(blank=True)
    exemption_until = models.DateField(null=True, blank=True, help_text="Jangka waktu pengecualian.")
    source = models.CharField(max_length=300, blank=True)
    scale = models.CharField(max_length=50, blank=True, help_text="Spatial data: e.g. 1:50.000.")
    keywords = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_version = models.ForeignKey("DatasetVersion", null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    regency_code = regency_field()
    regency_from = "producer"

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kip_class="dikecualikan") | (~models.Q(exemption_basis="")
                                                                 & ~models.Q(consequence_test="")),
                name="datasets_exempt_has_basis_and_test"),
        ]

    def __str__(self):
        return self.title

    @property
    def layer_id(self) -> str:
        return f"dataset-{self.slug}"


class DatasetField(models.Model):
    class Type(models.TextChoices):
        INTEGER = "integer", _("Bilangan bulat")
        NUMBER = "number", _("Bilangan")
        STRING = "string", _("Teks")
        BOOLEAN = "boolean", _("Ya/tidak")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=63)
    type = models.CharField(max_length=8, choices=Type.choices)
    label = models.CharField(max_length=200, blank=True)
    exempt = models.BooleanField(default=False, help_text="Dikecualikan: never published.")
    position = models.PositiveSmallIntegerField(default=0)
    regency_code = regency_field()
    regency_from = "dataset"

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="datasets_field_name_per_dataset"),
            models.CheckConstraint(condition=models.Q(name__regex=r"^[a-z][a-z0-9_]{0,62}$"),
                                   name="datasets_field_name_safe"),
        ]

    def __str__(self):
        return self.name


class DatasetVersion(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Menunggu persetujuan walidata")
        APPROVED = "approved", _("Disetujui dan terbit")
        REJECTED = "rejected", _("Ditolak walidata")
        SUPERSEDED = "superseded", _("Digantikan versi baru")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to="datasets/%Y/")
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=10)
    geometry_type = models.CharField(max_length=20, blank=True)
    row_count = models.PositiveIntegerField()
    report = models.JSONField(default=dict, help_text="Validation report of the upload.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    regency_code = regency_field()
    regency_from = "dataset"

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="datasets_version_number"),
        ]

    def __str__(self):
        return f"{self.dataset.slug} v{self.number}"


class DatasetFeature(models.Model):
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="features")
    row = models.PositiveIntegerField(help_text="Row of the source file (1 = first data row).")
    geom = models.GeometryField(srid=STORAGE_SRID, null=True, blank=True,
                                help_text="EPSG:4326; null for tabular rows (geometry from `area`).")
    area = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="Desa/kecamatan of a tabular row, or the desa of a point.")
    properties = models.JSONField(default=dict)
    regency_code = regency_field()
    regency_from = "version"

    class Meta:
        indexes = [models.Index(fields=["version", "row"])]


class RefreshReminder(models.Model):
    """One reminder to a dataset's producer about its berkala refresh (Pasal 9:
    at least every 6 months), recorded so that the scheduled job never sends
    the same reminder twice: `soon` and `due` once per published version,
    `overdue` at most every REMINDER_OVERDUE_EVERY_DAYS days, and never two
    of a kind on one day (the constraint holds under concurrent runs)."""

    class Kind(models.TextChoices):
        SOON = "soon", _("Pembaruan segera jatuh tempo")
        DUE = "due", _("Pembaruan jatuh tempo")
        OVERDUE = "overdue", _("Pembaruan terlambat")

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="refresh_reminders")
    version = models.ForeignKey(DatasetVersion, on_delete=models.CASCADE, related_name="+",
                                help_text="The published version whose refresh is due.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_on = models.DateField()
    sent_on = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    regency_code = regency_field()
    regency_from = "dataset"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "version", "kind", "sent_on"],
                                    name="datasets_refresh_reminder_once_a_day"),
        ]


# --- the public projection (issue 16) -----------------------------------------

class PublicDataset(models.Model):
    """A published dataset (view datasets_public_dataset): approved published
    version, not `dikecualikan`; its Satu Data metadata and the published
    version's number, geometry type and approval time. No exemption basis,
    consequence test, uploader or validation report."""

    id = models.BigAutoField(primary_key=True)
    slug = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    description = models.TextField()
    kind = models.CharField(max_length=9, choices=Dataset.Kind.choices)
    producer = models.ForeignKey("geo.Agency", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    frequency = models.CharField(max_length=12, choices=Dataset.Frequency.choices)
    licence = models.CharField(max_length=200)
    reference_edition = models.ForeignKey("geo.Edition", on_delete=models.DO_NOTHING, related_name="+",
                                          db_constraint=False)
    kip_class = models.CharField(max_length=12, choices=KipClass.choices)
    legal_basis = models.CharField(max_length=300)
    source = models.CharField(max_length=300)
    scale = models.CharField(max_length=50)
    keywords = models.CharField(max_length=300)
    version_id = models.BigIntegerField()
    version_number = models.PositiveIntegerField()
    geometry_type = models.CharField(max_length=20)
    approved_at = models.DateTimeField(null=True)

    Kind = Dataset.Kind

    class Meta:
        managed = False
        db_table = "datasets_public_dataset"
        ordering = ["slug"]

    def __str__(self):
        return self.title

    @property
    def layer_id(self) -> str:
        return f"dataset-{self.slug}"


class PublicDatasetField(models.Model):
    """A non-exempt field of a published dataset (view datasets_public_field)."""

    id = models.BigAutoField(primary_key=True)
    dataset = models.ForeignKey(PublicDataset, on_delete=models.DO_NOTHING, related_name="fields",
                                db_constraint=False)
    name = models.CharField(max_length=63)
    type = models.CharField(max_length=8, choices=DatasetField.Type.choices)
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()

    class Meta:
        managed = False
        db_table = "datasets_public_field"
        ordering = ["position", "name"]


class PublicDatasetFeature(models.Model):
    """A row of a published version with the exempt properties removed (view
    datasets_public_feature)."""

    id = models.BigAutoField(primary_key=True)
    dataset = models.ForeignKey(PublicDataset, on_delete=models.DO_NOTHING, related_name="features",
                                db_constraint=False)
    row = models.PositiveIntegerField()
    geom = models.GeometryField(srid=STORAGE_SRID, null=True)
    area = models.ForeignKey("geo.Area", null=True, on_delete=models.DO_NOTHING, related_name="+",
                             db_constraint=False)
    properties = models.JSONField()

    class Meta:
        managed = False
        db_table = "datasets_public_feature"
