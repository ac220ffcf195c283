"""Where each role lands after sign-in and which workspace links its
navigation shows. Role checks go through accounts.selectors."""
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.selectors import memberships_active

# Residents land on "Laporan saya" (portal:laporan-saya, residents app).
RESIDENT_LANDING = ("portal:laporan-saya",)

# (roles, url name, label, nav key), in landing priority: the first entry
# whose roles the user holds is where the user lands.
WORKSPACES = [
    ({Role.COORDINATOR}, "portal:kerja", _("Triase"), "kerja"),
    ({Role.AGENCY_STAFF, Role.AGENCY_HEAD}, "portal:kerja", _("Antrean"), "kerja"),
    ({Role.FIELD_CREW}, "portal:kerja-dekat", _("Terdekat"), "dekat"),
    ({Role.PLANNER}, "portal:perencana", _("Peta perencana"), "perencana"),
    ({Role.PPID_OFFICER, Role.PPID_SUPERIOR}, "ppid-workspace", _("Register PPID"), "ppid-petugas"),
    ({Role.WALIDATA, Role.DATA_PRODUCER}, "datasets-page-list", _("Data OPD"), "data-opd"),
    ({Role.UMKM_VERIFIER}, "portal:umkm-verifikasi", _("Verifikasi UMKM"), "umkm"),
    ({Role.DPO}, "portal:dpo", _("Log akses data pribadi"), "dpo"),
    ({Role.REQUESTER}, "ppid-request-mine", _("Permohonan saya"), "ppid-saya"),
]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _resident_url() -> str:
    for name in RESIDENT_LANDING:
        url = _url(name)
        if url:
            return url
    return "/"


def user_roles(*, user) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return set(memberships_active(user=user).values_list("role", flat=True))


def workspace_links(*, user, roles: set[str] | None = None) -> list[dict]:
    """The workspace links the user's roles can use, without duplicates."""
    roles = user_roles(user=user) if roles is None else roles
    links, seen = [], set()
    for wanted, name, label, key in WORKSPACES:
        url = _url(name)
        if roles & wanted and url and url not in seen:
            seen.add(url)
            links.append({"url": url, "label": label, "key": key})
    if roles & {Role.RESIDENT, Role.KETUA_RT}:
        url = _resident_url()
        if url not in seen:
            links.append({"url": url, "label": _("Laporan saya"), "key": "laporan-saya"})
    # Those who may speak for an area: their announcements, after the other
    # links (a role with another workspace keeps its landing page; camat and
    # desa operators, who had none, land here).
    url = _url("announcements-manage")
    if roles & {Role.AGENCY_STAFF, Role.AGENCY_HEAD, Role.CAMAT, Role.DESA_OPERATOR, Role.KETUA_RT} and url:
        links.append({"url": url, "label": _("Kelola pengumuman"), "key": "pengumuman-kelola"})
    return links


def landing_url(*, user) -> str:
    """The page a user lands on after sign-in: their first workspace."""
    links = workspace_links(user=user)
    if links:
        return links[0]["url"]
    if user is not None and user.is_authenticated and user.is_staff:
        return reverse("admin:index")
    return _resident_url() if user is not None and user.is_authenticated else "/"
