"""Roles (domain.md 7.2) as memberships: who acts for which agency or area.

A user may hold several memberships (a ketua RT who is also a registered
resident). Scope: `agency` for agency staff, field crews, PPID officers and
UMKM verifiers; `area` for ketua RT (an RT unit), desa operators and camat.
Role checks go through accounts.selectors, never through ad-hoc queries.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.regency import regency_field


class Role(models.TextChoices):
    RESIDENT = "resident", _("Warga terdaftar")
    KETUA_RT = "ketua_rt", _("Ketua RT")
    DESA_OPERATOR = "desa_operator", _("Operator / Kepala Desa")
    CAMAT = "camat", _("Operator Kecamatan / Camat")
    AGENCY_STAFF = "agency_staff", _("Petugas OPD (admin penghubung)")
    FIELD_CREW = "field_crew", _("Petugas lapangan")
    AGENCY_HEAD = "agency_head", _("Kepala OPD")
    COORDINATOR = "coordinator", _("Admin Koordinator")
    PLANNER = "planner", _("Perencana (agregat saja)")
    DATA_PRODUCER = "data_producer", _("Produsen Data")
    WALIDATA = "walidata", _("Walidata")
    PPID_OFFICER = "ppid_officer", _("PPID")
    PPID_SUPERIOR = "ppid_superior", _("Atasan PPID")
    REQUESTER = "requester", _("Pemohon informasi publik")
    UMKM_OWNER = "umkm_owner", _("Pelaku UMKM")
    UMKM_VERIFIER = "umkm_verifier", _("Verifikator UMKM")
    DPO = "dpo", _("Pejabat Pelindungan Data Pribadi")
    SYSTEM_ADMIN = "system_admin", _("Admin sistem (tanpa akses data rahasia)")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    agency = models.ForeignKey("geo.Agency", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="memberships")
    area = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="memberships", help_text="RT unit, desa or kecamatan.")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True, help_text="End of term (ketua RT: 5 years).")
    regency_code = regency_field()
    regency_from = ("agency", "area")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "agency", "area"], name="accounts_membership_unique"),
        ]

    def __str__(self):
        scope = self.agency or self.area or ""
        return f"{self.user} {self.role} {scope}".strip()
