"""Public information requests (permohonan informasi publik) under UU 14/2008.

The register follows domain.md 1.3 and 7.4: a request is registered with a
number and a receipt, answered in writing within 10 working days (Pasal 22(7)),
extended once by at most 7 working days with a written reason (Pasal 22(8)),
decided (granted, partly granted, refused on a Pasal 17 basis after a
consequence test) and delivered. An objection (keberatan, Pasal 35-36) is
filed with the atasan PPID within 30 working days of its ground and answered
within 30; the requester may then take a dispute to the Komisi Informasi
within 14 working days (Pasal 37(2)), which the register tracks.

The requester's identity is personal data (P3; domain.md 7.5) and lives in
`RequesterIdentity`, apart from the request: nothing public reads it. Public
outputs (the Pasal 12 annual report) go through ppid.policy.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.regency import regency_field


class Pasal17(models.TextChoices):
    """Exemption bases of UU 14/2008 Pasal 17 (domain.md 1.2)."""

    A = "17a", _("Pasal 17 huruf a: menghambat proses penegakan hukum")
    B = "17b", _("Pasal 17 huruf b: hak kekayaan intelektual / persaingan usaha tidak sehat")
    C = "17c", _("Pasal 17 huruf c: pertahanan dan keamanan negara")
    D = "17d", _("Pasal 17 huruf d: kekayaan alam Indonesia")
    E = "17e", _("Pasal 17 huruf e: ketahanan ekonomi nasional")
    F = "17f", _("Pasal 17 huruf f: hubungan luar negeri")
    G = "17g", _("Pasal 17 huruf g: isi akta otentik pribadi dan wasiat")
    H = "17h", _("Pasal 17 huruf h: rahasia pribadi")
    I = "17i", _("Pasal 17 huruf i: memorandum/surat antar atau intra badan publik yang dirahasiakan")  # noqa: E741
    J = "17j", _("Pasal 17 huruf j: dikecualikan undang-undang lain")


class RegistrationCounter(models.Model):
    """Last number issued per (kind, year); rows are locked while numbering so
    that concurrent requests never share a number."""

    kind = models.CharField(max_length=3)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="ppid_counter_kind_year")]


class InformationRequest(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Teregistrasi")
        EXTENDED = "extended", _("Diperpanjang")
        DECIDED = "decided", _("Diputuskan")
        DELIVERED = "delivered", _("Informasi diserahkan")
        WITHDRAWN = "withdrawn", _("Dicabut pemohon")

    class Decision(models.TextChoices):
        GRANTED = "granted", _("Diterima seluruhnya")
        PARTLY = "partly", _("Diterima sebagian")
        REFUSED = "refused", _("Ditolak (informasi dikecualikan)")
        NOT_HELD = "not_held", _("Ditolak (informasi tidak dikuasai)")

    class Format(models.TextChoices):
        SOFTCOPY = "softcopy", _("Salinan elektronik (softcopy)")
        HARDCOPY = "hardcopy", _("Salinan tercetak (hardcopy)")
        VIEW = "view", _("Melihat / membaca / mencatat")

    class Delivery(models.TextChoices):
        EMAIL = "email", _("Surat elektronik")
        PICKUP = "pickup", _("Diambil langsung")
        POST = "post", _("Pos / kurir")
        DOWNLOAD = "download", _("Unduh melalui situs ini")

    registration_number = models.CharField(max_length=20, unique=True,
                                           help_text="e.g. PPID-2026-000123; shown on the receipt.")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="information_requests")
    agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="information_requests",
                               help_text="Handling PPID Pelaksana; empty = PPID Utama.")
    information = models.TextField(help_text="Rincian informasi yang dibutuhkan.")
    purpose = models.TextField(help_text="Tujuan penggunaan informasi.")
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.SOFTCOPY)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REGISTERED)

    received_at = models.DateTimeField()
    received_on = models.DateField(help_text="Calendar day of receipt in Asia/Pontianak.")
    due_on = models.DateField(help_text="10 working days after receipt (Pasal 22(7)).")
    extended_due_on = models.DateField(null=True, blank=True,
                                       help_text="7 more working days after due_on (Pasal 22(8)).")
    extension_reason = models.TextField(blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)

    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True, help_text="Written notice text / reasons.")
    exemption_basis = models.CharField(max_length=3, choices=Pasal17.choices, blank=True)
    consequence_test = models.TextField(blank=True, help_text="Uji konsekuensi record (Pasal 2(4), 19).")
    public_interest_test = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    delivered_on = models.DateField(null=True, blank=True)
    delivery_note = models.TextField(blank=True)
    fee_rupiah = models.PositiveIntegerField(default=0, help_text="Biaya salinan/pengiriman (Rp).")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    regency_code = regency_field()
    regency_from = "agency"

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="refused") | (~models.Q(exemption_basis="")
                                                           & ~models.Q(consequence_test="")),
                name="ppid_refusal_has_basis_and_test"),
            models.CheckConstraint(
                condition=models.Q(extended_due_on__isnull=True) | ~models.Q(extension_reason=""),
                name="ppid_extension_has_reason"),
            models.CheckConstraint(
                condition=models.Q(decision="") | models.Q(decided_on__isnull=False),
                name="ppid_decision_has_date"),
        ]

    def __str__(self):
        return self.registration_number

    @property
    def effective_due_on(self):
        return self.extended_due_on or self.due_on


class RequesterIdentityFields(models.Model):
    """What the law asks of a requester (domain.md 1.3), kept by a profile and
    snapshotted on each request."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Perorangan (WNI)")
        ENTITY = "entity", _("Badan hukum Indonesia")
        GROUP = "group", _("Kelompok orang")

    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(max_length=200)
    id_number = models.CharField(max_length=40,
                                 help_text="NIK (perorangan) or the entity's legal document number.")
    address = models.TextField()
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    occupation = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True

    def identity(self) -> dict:
        return {"kind": self.kind, "name": self.name, "id_number": self.id_number, "address": self.address,
                "phone": self.phone, "email": self.email, "occupation": self.occupation}


class RequesterProfile(RequesterIdentityFields):
    """A registered pemohon informasi publik (domain.md 7.2): the identity the
    law asks of a requester (name, NIK or the entity's legal document number,
    address, contact; domain.md 1.3). Personal data (P3, domain.md 7.5): read
    by its owner only; each request keeps its own snapshot in
    `RequesterIdentity`, which the handling PPID reads. The account holds the
    `requester` role (accounts.Role.REQUESTER) while it has a profile."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="ppid_requester")
    registered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"requester #{self.pk}"


class RequesterIdentity(RequesterIdentityFields):
    """Identity of the requester at the time of the request (P3 personal data:
    never public, never exported; read by the handling PPID only)."""

    request = models.OneToOneField(InformationRequest, on_delete=models.CASCADE, related_name="identity")
    regency_code = regency_field()
    regency_from = "request"


class Objection(models.Model):
    """Keberatan to the atasan PPID (Pasal 35-37) and the dispute tracking."""

    class Ground(models.TextChoices):
        REFUSED = "a", _("a. Permohonan ditolak berdasarkan alasan pengecualian Pasal 17")
        BERKALA_NOT_PROVIDED = "b", _("b. Informasi berkala (Pasal 9) tidak disediakan")
        NOT_ANSWERED = "c", _("c. Permohonan tidak ditanggapi")
        NOT_AS_REQUESTED = "d", _("d. Permohonan ditanggapi tidak sebagaimana yang diminta")
        NOT_FULFILLED = "e", _("e. Permohonan tidak dipenuhi")
        UNREASONABLE_FEE = "f", _("f. Pengenaan biaya yang tidak wajar")
        LATE = "g", _("g. Penyampaian melebihi waktu yang diatur")

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("Keberatan diterima: informasi diberikan")
        REJECTED = "rejected", _("Keberatan ditolak: menguatkan keputusan PPID")

    registration_number = models.CharField(max_length=20, unique=True)
    request = models.ForeignKey(InformationRequest, on_delete=models.PROTECT, related_name="objections")
    ground = models.CharField(max_length=1, choices=Ground.choices)
    ground_on = models.DateField(help_text="Day the ground arose; the 30-WD window counts from it.")
    reason = models.TextField()
    filed_at = models.DateTimeField()
    filed_on = models.DateField()
    due_on = models.DateField(help_text="30 working days after filing (Pasal 36(2)).")
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    response = models.TextField(blank=True, help_text="Written reasons of the atasan PPID.")
    responded_on = models.DateField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    superior_name = models.CharField(max_length=200, blank=True)
    superior_position = models.CharField(max_length=200, blank=True)
    requester_reply = models.TextField(blank=True, help_text="Tanggapan pemohon atas jawaban atasan PPID.")
    dispute_filed_on = models.DateField(null=True, blank=True,
                                        help_text="Sengketa diajukan ke Komisi Informasi (tracking only).")
    dispute_note = models.TextField(blank=True)
    regency_code = regency_field()
    regency_from = "request"

    class Meta:
        ordering = ["-filed_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(decision="") | models.Q(responded_on__isnull=False),
                                   name="ppid_objection_decision_has_date"),
        ]

    def __str__(self):
        return self.registration_number


class Reminder(models.Model):
    """One reminder sent about one deadline on one day (keeps the reminder
    command idempotent when the ops engineer schedules it more than daily)."""

    class Kind(models.TextChoices):
        REQUEST_DUE = "request_due", _("Tenggat permohonan mendekat")
        REQUEST_OVERDUE = "request_overdue", _("Permohonan melewati tenggat")
        OBJECTION_DUE = "objection_due", _("Tenggat keberatan mendekat")
        OBJECTION_OVERDUE = "objection_overdue", _("Keberatan melewati tenggat")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    request = models.ForeignKey(InformationRequest, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="reminders")
    objection = models.ForeignKey(Objection, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="reminders")
    sent_on = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    regency_code = regency_field()
    regency_from = ("request", "objection")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "request", "objection", "sent_on"],
                                    name="ppid_reminder_once_a_day", nulls_distinct=False),
        ]


class PublicDocument(models.Model):
    """An entry of the Daftar Informasi Publik (Pasal 11(1)a) that is not a
    dataset layer: a regulation, a report, a plan, a procedure. Registered by
    the PPID; exempt documents are never listed here."""

    class KipClass(models.TextChoices):
        BERKALA = "berkala", _("Informasi berkala (Pasal 9)")
        SERTA_MERTA = "serta_merta", _("Informasi serta merta (Pasal 10)")
        SETIAP_SAAT = "setiap_saat", _("Informasi tersedia setiap saat (Pasal 11)")

    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    kip_class = models.CharField(max_length=12, choices=KipClass.choices)
    agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="public_documents", help_text="Penguasa informasi.")
    responsible = models.CharField(max_length=200, blank=True, help_text="Penanggung jawab (pejabat/unit).")
    period = models.CharField(max_length=50, blank=True, help_text="Waktu pembuatan/periode, e.g. 2026.")
    format = models.CharField(max_length=50, blank=True, help_text="e.g. PDF, XLSX, cetak.")
    url = models.URLField(blank=True, help_text="Where to get it online.")
    where_to_get = models.CharField(max_length=300, blank=True,
                                    help_text="Otherwise: office/desk where it can be obtained.")
    retention = models.CharField(max_length=100, blank=True, help_text="Jangka waktu penyimpanan.")
    is_listed = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    regency_code = regency_field()
    regency_from = "agency"

    class Meta:
        ordering = ["kip_class", "title"]

    def __str__(self):
        return self.title
