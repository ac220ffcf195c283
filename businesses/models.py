"""UMKM Online: the regency's directory of micro, small and medium businesses.

What is public and what is not (domain.md 4, 7.5, 7.7):

- `Business` holds the directory entry. Its `location` is the exact point and
  is restricted when the business is home-based: such a business is shown at
  its desa point unless the owner consented to the exact location.
  `public_location` is the point the public may see, written by the services
  through `businesses.policy.business_public_point`; every public
  search, distance and bbox query runs on it, so that not even the ordering
  of results can reveal an exact home.
- `BusinessOwner` (the person) and `BusinessFinancials` (capital and annual
  sales) are personal data: never public. Only the scale class computed from
  the figures is published.
- `BusinessConsent` records what the owner allowed (what, when, how); the
  services copy the latest decisions into `listing_public`,
  `public_location_exact` and `numbers_public` so public queries need no
  subquery.
- `PublicBusiness`, `PublicCertificate` and `PublicPhoto` are the public
  projection (database views, migration 0006): only verified, active
  businesses whose owner consented to be listed, and only their public
  columns. Every public output reads these, never `Business`.
- `Certificate` (halal, P-IRT, ...) and the business itself carry a
  verification status; owner changes to verified facts go back to pending.
- `BusinessAudit` is the trail of every change.
"""
import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db.models import F, Func, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from common.regency import regency_field

STORAGE_SRID = settings.GEO_STORAGE_SRID  # EPSG:4326, lon/lat


class KbliEdition(models.TextChoices):
    KBLI_2020 = "2020", _("KBLI 2020 (Peraturan BPS 2/2020)")
    KBLI_2025 = "2025", _("KBLI 2025 (Peraturan BPS 7/2025)")


class Sector(models.TextChoices):
    """A shopper-friendly grouping of KBLI codes (kept in the KBLI table)."""

    KULINER = "kuliner", _("Kuliner (makan & minum)")
    PANGAN_OLAHAN = "pangan_olahan", _("Pangan olahan")
    PERDAGANGAN = "perdagangan", _("Perdagangan")
    FASHION = "fashion", _("Fesyen")
    KERAJINAN = "kerajinan", _("Kerajinan & mebel")
    PERTANIAN = "pertanian", _("Pertanian & perkebunan")
    PERIKANAN = "perikanan", _("Perikanan")
    JASA = "jasa", _("Jasa")


class Scale(models.TextChoices):
    MIKRO = "mikro", _("Usaha mikro")
    KECIL = "kecil", _("Usaha kecil")
    MENENGAH = "menengah", _("Usaha menengah")
    BESAR = "besar", _("Usaha besar (bukan UMKM)")


class ScaleRule(models.TextChoices):
    PP_7_2021 = "pp7_2021", _("PP 7/2021 (modal usaha atau hasil penjualan tahunan)")
    UU_20_2008 = "uu20_2008", _("UU 20/2008 (hanya data lama/impor)")


class Verification(models.TextChoices):
    PENDING = "pending", _("Menunggu verifikasi")
    VERIFIED = "verified", _("Terverifikasi")
    REJECTED = "rejected", _("Ditolak")


class KbliCode(models.Model):
    """Reference list of KBLI codes, seeded from businesses/data/kbli_*.csv."""

    code = models.CharField(max_length=5, help_text="Kelompok (5 digits), e.g. 10794.")
    edition = models.CharField(max_length=4, choices=KbliEdition.choices)
    title = models.CharField(max_length=300)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    is_food = models.BooleanField(default=False, help_text="Food or drink: halal / P-IRT coverage applies.")

    class Meta:
        ordering = ["edition", "code"]
        constraints = [models.UniqueConstraint(fields=["edition", "code"], name="businesses_kbli_unique")]

    def __str__(self):
        return f"{self.code} {self.title} (KBLI {self.edition})"


def search_words() -> Func:
    """The words of `Business.search_text` as a text[] (the documents are
    already normalised and space-separated). One definition for the GIN
    index and the search, so that the planner matches the index expression."""
    return Func(F("search_text"), Value(" "), function="string_to_array",
                output_field=ArrayField(models.TextField()))


class SearchWord(models.Model):
    """Every distinct word of `Business.search_text`: the dictionary against
    which a query's typos and spelling variants are resolved (a few hundred
    to a few tens of thousands of rows), before businesses are matched on
    exact words through the GIN index on `search_words()`. Kept by statement
    triggers on businesses_business (migration 0004); words of deleted or
    edited businesses stay, which only costs an expansion that matches
    nothing."""

    word = models.TextField(primary_key=True)

    def __str__(self):
        return self.word


class BusinessOwner(models.Model):
    """The person behind a business: personal data (UU 27/2022), never public."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="business_owners", help_text="The owner's account, if any.")
    name = models.CharField(max_length=200)
    nik = models.CharField(max_length=16, blank=True, help_text="Only if collected at all (Adminduk Pasal 84).")
    home_address = models.TextField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"owner #{self.pk}"


class Business(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktif")
        CLOSED = "closed", _("Tutup")

    class OssRisk(models.TextChoices):
        LOW = "rendah", _("Rendah")
        MEDIUM_LOW = "menengah_rendah", _("Menengah rendah")
        MEDIUM_HIGH = "menengah_tinggi", _("Menengah tinggi")
        HIGH = "tinggi", _("Tinggi")

    owner = models.ForeignKey(BusinessOwner, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="businesses")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    products = models.TextField(blank=True, help_text="Products and services, free text (searched).")
    search_text = models.GeneratedField(
        expression=Func(Coalesce(F("name"), Value("")), Coalesce(F("products"), Value("")),
                        function="businesses_search_document"),
        output_field=models.TextField(), db_persist=True,
        help_text="Name and products, lower-cased, unaccented and spelling-normalised "
                  "(SQL function businesses_normalise, migration 0001).")
    nib = models.CharField(max_length=13, blank=True, help_text="Nomor Induk Berusaha (OSS RBA), 13 digits.")
    oss_risk = models.CharField(max_length=16, choices=OssRisk.choices, blank=True)
    kbli_codes = ArrayField(models.CharField(max_length=5), default=list, blank=True,
                            help_text="KBLI kelompok codes; the first is the main activity.")
    kbli_edition = models.CharField(max_length=4, choices=KbliEdition.choices, default=KbliEdition.KBLI_2020)
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True,
                              help_text="Sector of the main KBLI code (denormalised for filters).")
    is_food = models.BooleanField(default=False, help_text="Any KBLI code is a food/drink activity.")
    scale = models.CharField(max_length=10, choices=Scale.choices, blank=True)
    scale_rule = models.CharField(max_length=10, choices=ScaleRule.choices, blank=True)
    scale_basis = models.CharField(max_length=10, blank=True, help_text='"modal", "assets" or "sales".')
    established_on = models.DateField(null=True, blank=True)
    contacts = models.JSONField(default=list, blank=True,
                                help_text='Public channels the owner chose: [{"kind": "whatsapp", "value": "..."}].')
    opening_hours = models.JSONField(default=dict, blank=True,
                                     help_text='{"mon": [["08:00", "17:00"]], ...}; local time (WIB).')
    location = models.PointField(
        srid=STORAGE_SRID,
        help_text="Exact point (EPSG:4326). Restricted when home-based without consent.")
    public_location = models.PointField(
        srid=STORAGE_SRID,
        help_text="The point the public sees (EPSG:4326): the exact point, or the desa point for a "
                  "home-based business without consent. Written only through the policy. A functional "
                  "geography index (migration) serves metric radius queries.")
    public_location_exact = models.BooleanField(
        default=True, help_text="public_location is the exact point (not home-based, or consent given).")
    numbers_public = models.BooleanField(
        default=False, help_text="Owner consented to publishing NIB and certificate numbers.")
    listing_public = models.BooleanField(
        default=False, db_default=False, help_text="Owner consented to the business being listed in the public directory "
                                 "(latest 'listing' consent). Public only when also verified and active.")
    is_home_based = models.BooleanField(default=False)
    desa = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kecamatan = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    location_approximate = models.BooleanField(default=False, help_text="Desa assigned to the nearest desa.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    verification_status = models.CharField(max_length=10, choices=Verification.choices,
                                           default=Verification.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    verification_note = models.TextField(blank=True)
    source = models.CharField(max_length=100, blank=True, help_text='"owner", "import:<file>", "synthetic".')
    is_synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    regency_code = regency_field()
    regency_from = "desa"

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "businesses"
        indexes = [
            GinIndex(fields=["search_text"], opclasses=["gin_trgm_ops"], name="businesses_search_trgm"),
            # No pending list (fastupdate off): every search reads this index,
            # and a pending list of up to 4 MB (gin_pending_list_limit) is
            # scanned linearly by each of them until a vacuum merges it (9 ms
            # per tier statement after a bulk load, against 0.2 ms merged).
            GinIndex(search_words(), name="businesses_search_words", fastupdate=False),
            # Listings without a text query or a point are in name order.
            models.Index(fields=["name", "id"], name="businesses_name_id"),
            GinIndex(fields=["kbli_codes"], name="businesses_kbli_gin"),
            models.Index(fields=["sector", "scale"], name="businesses_sector_scale"),
            models.Index(fields=["nib"], name="businesses_nib"),
            models.Index(fields=["created_at"], name="businesses_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(nib="") | models.Q(nib__regex=r"^[0-9]{13}$"),
                                   name="businesses_nib_13_digits"),
        ]

    def __str__(self):
        return self.name


class BusinessFinancials(models.Model):
    """Capital and annual sales: personal financial data (KIP 17h3), never public."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="financials")
    capital_idr = models.BigIntegerField(null=True, blank=True,
                                         help_text="Modal usaha excluding land and buildings (PP 7/2021) "
                                                   "or net assets (UU 20/2008 legacy), rupiah.")
    annual_sales_idr = models.BigIntegerField(null=True, blank=True, help_text="Hasil penjualan tahunan, rupiah.")
    updated_at = models.DateTimeField(auto_now=True)
    regency_code = regency_field()
    regency_from = "business"


class BusinessConsent(models.Model):
    """What the owner allowed to be public: one row per decision (the latest wins)."""

    class Kind(models.TextChoices):
        LISTING = "listing", _("Usaha boleh ditampilkan di direktori UMKM publik")
        EXACT_LOCATION = "exact_location", _("Lokasi persis usaha rumahan boleh ditampilkan")
        REGISTRATION_NUMBERS = "registration_numbers", _("NIB dan nomor sertifikat boleh ditampilkan")

    class Channel(models.TextChoices):
        ONLINE_FORM = "online_form", _("Formulir daring")
        PAPER_FORM = "paper_form", _("Formulir kertas")
        IN_PERSON = "in_person", _("Langsung kepada petugas")
        PHONE = "phone", _("Telepon")
        IMPORT = "import", _("Impor data dinas")

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    granted = models.BooleanField(help_text="False records a withdrawal.")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    note = models.TextField(blank=True)
    regency_code = regency_field()
    regency_from = "business"

    class Meta:
        ordering = ["business", "kind", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["business", "kind", "-recorded_at"], name="businesses_consent_latest")]


class Certificate(models.Model):
    class Kind(models.TextChoices):
        HALAL = "halal", _("Sertifikat halal (BPJPH)")
        PIRT = "pirt", _("SPP-IRT / P-IRT")
        SLHS = "slhs", _("Sertifikat Laik Higiene Sanitasi")
        SNI = "sni", _("SNI")
        BPOM_MD = "bpom_md", _("BPOM MD")
        BPOM_ML = "bpom_ml", _("BPOM ML")

    class HalalRoute(models.TextChoices):
        SELF_DECLARE = "self_declare", _("Pernyataan pelaku usaha (self-declare)")
        REGULAR = "regular", _("Reguler")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    halal_route = models.CharField(max_length=12, choices=HalalRoute.choices, blank=True)
    number = models.CharField(max_length=60)
    issuer = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    verification_status = models.CharField(max_length=10, choices=Verification.choices,
                                           default=Verification.PENDING)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    regency_code = regency_field()
    regency_from = "business"

    class Meta:
        ordering = ["business", "kind", "number"]
        indexes = [models.Index(fields=["kind", "verification_status"], name="businesses_cert_kind")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind="pirt") | models.Q(number__regex=r"^[0-9]{15}$"),
                                   name="businesses_pirt_15_digits"),
            models.CheckConstraint(condition=models.Q(expires_on__isnull=True) | models.Q(issued_on__isnull=True)
                                   | models.Q(expires_on__gte=F("issued_on")),
                                   name="businesses_cert_dates_ordered"),
        ]


class BusinessPhoto(models.Model):
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="businesses/%Y/%m/")
    caption = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "business"


class BusinessAudit(models.Model):
    """Who changed what and when (owner edits, verification, imports)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True,
                               help_text="field -> [old, new]; personal fields are named, not copied.")
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "business"

    class Meta:
        ordering = ["business", "created_at", "id"]


# --- the public projection (issue 16) -----------------------------------------
#
# Database views (migration 0006) holding only what the public may see: the
# businesses that are verified, active and listed with the owner's consent,
# and of them only the public columns (no exact location, owner, figures,
# verifier notes; the NIB and certificate numbers only with their own
# consent). Every public output of businesses (API, OGC, tiles, exports,
# search, dashboard, portal) reads these models through
# businesses.policy; tests/privacy checks that no public URL's SQL
# names a private table of this app.

class PublicBusiness(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=200)
    description = models.TextField()
    products = models.TextField()
    search_text = models.TextField()
    has_nib = models.BooleanField()
    nib = models.CharField(max_length=13, null=True, help_text="Only with the owner's consent; else NULL.")
    kbli_codes = ArrayField(models.CharField(max_length=5))
    kbli_edition = models.CharField(max_length=4, choices=KbliEdition.choices)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    is_food = models.BooleanField()
    scale = models.CharField(max_length=10, choices=Scale.choices)
    scale_rule = models.CharField(max_length=10, choices=ScaleRule.choices)
    contacts = models.JSONField()
    opening_hours = models.JSONField()
    public_location = models.PointField(srid=STORAGE_SRID)
    public_location_exact = models.BooleanField()
    numbers_public = models.BooleanField()
    desa = models.ForeignKey("geo.Area", null=True, on_delete=models.DO_NOTHING, related_name="+",
                             db_constraint=False)
    kecamatan = models.ForeignKey("geo.Area", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                  db_constraint=False)
    status = models.CharField(max_length=10, choices=Business.Status.choices)
    verification_status = models.CharField(max_length=10, choices=Verification.choices)
    is_synthetic = models.BooleanField()

    class Meta:
        managed = False
        db_table = "businesses_public_business"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class PublicCertificate(models.Model):
    id = models.UUIDField(primary_key=True)
    business = models.ForeignKey(PublicBusiness, on_delete=models.DO_NOTHING, related_name="certificates",
                                 db_constraint=False)
    kind = models.CharField(max_length=10, choices=Certificate.Kind.choices)
    halal_route = models.CharField(max_length=12, choices=Certificate.HalalRoute.choices)
    number = models.CharField(max_length=60, null=True, help_text="Only with the owner's consent; else NULL.")
    issued_on = models.DateField(null=True)
    expires_on = models.DateField(null=True)
    verification_status = models.CharField(max_length=10, choices=Verification.choices)

    class Meta:
        managed = False
        db_table = "businesses_public_certificate"
        ordering = ["business", "kind", "number"]


class PublicPhoto(models.Model):
    id = models.BigAutoField(primary_key=True)
    business = models.ForeignKey(PublicBusiness, on_delete=models.DO_NOTHING, related_name="photos",
                                 db_constraint=False)
    image = models.ImageField(upload_to="businesses/%Y/%m/")
    caption = models.CharField(max_length=200)

    class Meta:
        managed = False
        db_table = "businesses_public_photo"
        ordering = ["id"]
