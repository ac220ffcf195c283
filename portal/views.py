"""Pages of the portal. Views are thin: public data comes from the
publication policy (layers.policy.*) through portal.selectors, geography from
geo.selectors; the agency workspace reads through reports' own selectors and
writes through the reports API."""
import hashlib
import re

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_GET, require_POST

from common.compression import precompressed_response
from common.regency import by_tracking_code
from geo import selectors as geo_selectors

from . import maps, selectors, workspace
from .forms import SignInForm
from .roles import landing_url

# Messages of the report form's script, translated on the server.
LAPOR_TEXT = {
    "required_category": gettext_lazy("Pilih kategori laporan."),
    "required_location": gettext_lazy("Tentukan lokasi: ketuk peta, gunakan lokasi ponsel, atau isi koordinat."),
    "invalid_location": gettext_lazy("Koordinat tidak valid: lintang -90..90 dan bujur -180..180."),
    "required_description": gettext_lazy("Tuliskan uraian masalah (minimal 10 karakter)."),
    "required_photo": gettext_lazy("Kategori ini memerlukan foto."),
    "sending": gettext_lazy("Mengirim…"),
    "send": gettext_lazy("Kirim laporan"),
    "network": gettext_lazy("Gagal terhubung. Periksa koneksi lalu kirim lagi; laporan tidak akan tercatat dua kali."),
    "failed": gettext_lazy("Laporan belum terkirim. Periksa isian yang ditandai."),
    "sent": gettext_lazy("Laporan terkirim. Simpan kode lacak ini:"),
    "track": gettext_lazy("Lihat status laporan"),
    "desa": gettext_lazy("Desa"),
    "agency": gettext_lazy("Instansi"),
    "triage": gettext_lazy("Admin Koordinator (triase)"),
    "deadline": gettext_lazy("Tenggat"),
    "locating": gettext_lazy("Mencari lokasi…"),
    "locate_failed": gettext_lazy("Lokasi ponsel tidak tersedia; ketuk peta atau isi koordinat."),
    "support": gettext_lazy("Lihat laporan ini"),
    "another": gettext_lazy("Kirim laporan lain"),
    "loading_categories": gettext_lazy("Memuat kategori…"),
    "zoom_in": gettext_lazy("Perbesar peta dulu agar titiknya tepat (peta diperbesar ke tempat yang Anda ketuk)."),
    "located": gettext_lazy("Lokasi ditemukan (akurasi ± %(m)s m)."),
    "locate_denied": gettext_lazy("Izin lokasi ditolak. Ketuk peta atau cari nama desa."),
    "locate_timeout": gettext_lazy("Lokasi tidak ditemukan dalam 15 detik. Coba di tempat terbuka, atau ketuk peta."),
    "use_location": gettext_lazy("Gunakan lokasi ponsel saya"),
    "search_none": gettext_lazy("Tidak ditemukan."),
    "searching": gettext_lazy("Mencari…"),
    "support_button": gettext_lazy("Dukung laporan ini"),
    "supported": gettext_lazy("Terima kasih, dukungan Anda tercatat. Pendukung: %(n)s."),
    "support_failed": gettext_lazy("Dukungan belum tercatat. Coba lagi."),
    "supported_count": gettext_lazy("Pendukung: %(n)s"),
    "route_loading": gettext_lazy("Mencari desa dan instansi…"),
    "route_desa": gettext_lazy("Desa"),
    "route_agency": gettext_lazy("Akan ditangani"),
    "route_approximate": gettext_lazy("(desa terdekat; titik di luar batas desa)"),
    "photos_max": gettext_lazy("Paling banyak 3 foto."),
    "photo_remove": gettext_lazy("Hapus foto"),
    "photo_failed": gettext_lazy("Foto ini tidak dapat dibaca. Pilih foto lain."),
    "uploading": gettext_lazy("Mengunggah… %(p)s%%"),
    "draft_restored": gettext_lazy("Draf laporan Anda dipulihkan dari ponsel ini."),
    "draft_discard": gettext_lazy("Buang draf"),
    "throttled": gettext_lazy("Terlalu banyak laporan dari perangkat ini. Coba lagi dalam %(wait)s."),
    "minutes": gettext_lazy("%(n)s menit"),
    "seconds": gettext_lazy("%(n)s detik"),
    "hours": gettext_lazy("%(n)s jam"),
    "meters": gettext_lazy("%(n)s m"),
    "km": gettext_lazy("%(n)s km"),
}


def home(request):
    return render(request, "portal/home.html", {"nav": "home"})


def peta(request):
    return render(request, "portal/peta.html", {"nav": "peta", "map_config": maps.map_config(kind="peta")})


_BOUNDARY_LEVELS = ("desa", "kecamatan")


def _coarse(request) -> bool:
    return request.GET.get("kasar") == "1"


def _boundaries_tag(request, level: str, kind: str) -> str | None:
    """What a boundaries file is: the level, the kind (and for the outlines
    whether they are the coarse ones) and the boundary edition; None for an
    unknown level. Its ETag and its cache key."""
    if level not in _BOUNDARY_LEVELS:
        return None
    coarse = "-kasar" if kind == "-garis" and _coarse(request) else ""
    return f"{level}{kind}{coarse}-{selectors.edition_tag()}"


def _boundaries_etag(kind: str):
    """The ETag of a boundaries file; None for an unknown level (no
    conditional answer: the view's 404)."""
    def etag(request, level: str) -> str | None:
        tag = _boundaries_tag(request, level, kind)
        # weak: the same lines whether sent with brotli, gzip or as they are
        return None if tag is None else f'W/"{tag}"'
    return etag


def _boundaries_response(request, level: str, kind: str, build, content_type: str):
    """A boundary file compressed once per edition (brotli: the desa GeoJSON is
    21 KiB instead of 30 KiB gzipped) and kept as long as its text."""
    key = "portal:" + _boundaries_tag(request, level, kind)
    return precompressed_response(request, build, key=key, content_type=content_type,
                                  seconds=selectors.BOUNDARY_TEXT_SECONDS)


@require_GET
@cache_control(public=True, max_age=3600)
@condition(etag_func=_boundaries_etag(""))
def peta_wilayah(request, level: str):
    if level not in _BOUNDARY_LEVELS:
        raise Http404
    return _boundaries_response(request, level, "", lambda: selectors.boundaries_geojson(level=level),
                                "application/geo+json")


@require_GET
@cache_control(public=True, max_age=3600)
@condition(etag_func=_boundaries_etag("-garis"))
def peta_wilayah_garis(request, level: str):
    """The outlines of desa or kecamatan as encoded polylines (the report
    form's mini-map: lines and names only, a fraction of the GeoJSON);
    ?kasar=1: the coarse lines the form draws first (selectors)."""
    if level not in _BOUNDARY_LEVELS:
        raise Http404
    coarse = _coarse(request)
    return _boundaries_response(request, level, "-garis",
                                lambda: selectors.boundaries_outlines(level=level, coarse=coarse), "application/json")


@require_GET
def peta_jumlah(request):
    """P1 (aggregate-only) report counts per desa, suppressed below 5."""
    body = {"desa": selectors.desa_aggregate_counts()}
    response = JsonResponse(body)
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def peta_cari(request):
    query = (request.GET.get("q") or "").strip()[:60]
    if len(query) < 2:
        return JsonResponse({"query": query, "results": []})
    results = selectors.areas_search(query=query) + selectors.businesses_search(query=query)
    return JsonResponse({"query": query, "results": results})


# The form's category groups: the API's `group`, common ones first, with an
# icon (presentation only; the categories themselves come from the taxonomy).
LAPOR_GROUPS = [
    ("infrastruktur", "🛣️", gettext_lazy("Jalan, lampu & air")),
    ("lingkungan", "🗑️", gettext_lazy("Sampah & lingkungan")),
    ("bencana", "🌊", gettext_lazy("Bencana: banjir, kebakaran, angin")),
    ("ketertiban", "🏪", gettext_lazy("Ketertiban umum")),
    ("perhubungan", "🚦", gettext_lazy("Lalu lintas & angkutan")),
    ("pendidikan", "🏫", gettext_lazy("Sekolah")),
    ("pertanian", "🐄", gettext_lazy("Pertanian & ternak")),
    ("kesehatan", "🏥", gettext_lazy("Kesehatan")),
    ("sosial", "🤝", gettext_lazy("Bantuan sosial")),
    ("kependudukan", "🪪", gettext_lazy("Kependudukan")),
    ("perlindungan", "🛡️", gettext_lazy("Perlindungan perempuan & anak")),
    ("keamanan", "🚓", gettext_lazy("Keamanan")),
    ("pengaduan", "📣", gettext_lazy("Pengaduan pelayanan")),
    ("lainnya", "📝", gettext_lazy("Lainnya")),
]

# Categories where a life may be at stake: the national emergency numbers are
# shown before the form (the report is not an emergency call).
EMERGENCY_NUMBERS = {
    "building-fire": [("112", gettext_lazy("Darurat")), ("113", gettext_lazy("Pemadam kebakaran"))],
    "land-fire": [("112", gettext_lazy("Darurat")), ("113", gettext_lazy("Pemadam kebakaran"))],
    "flood": [("112", gettext_lazy("Darurat")), ("115", gettext_lazy("Basarnas (SAR)"))],
    "storm-tree": [("112", gettext_lazy("Darurat"))],
    "violence": [("112", gettext_lazy("Darurat")), ("110", gettext_lazy("Polisi")),
                 ("129", gettext_lazy("SAPA 129 (perempuan & anak)"))],
    "crime": [("112", gettext_lazy("Darurat")), ("110", gettext_lazy("Polisi"))],
    "health-visit": [("112", gettext_lazy("Darurat")), ("119", gettext_lazy("Ambulans / PSC 119"))],
    "disease-outbreak": [("119", gettext_lazy("Ambulans / PSC 119"))],
    "maternal-child": [("119", gettext_lazy("Ambulans / PSC 119"))],
}

# What becomes public, per publication class (domain.md 7.3), in plain words.
PUBLIC_STATEMENT = {
    "P0": gettext_lazy("Yang tampil untuk umum: kategori, status, desa, titik lokasi dan uraian (kecuali Anda pilih "
                       "Rahasia). Foto dan identitas Anda tidak dipublikasikan."),
    "P1": gettext_lazy("Yang tampil untuk umum: hanya jumlah laporan per desa, tanpa titik, uraian, foto atau identitas."),
    "P2": gettext_lazy("Tidak ada yang tampil untuk umum selain jumlah laporan; hanya petugas yang menangani yang "
                       "membaca isinya."),
    "P3": gettext_lazy("Tidak ada yang tampil untuk umum selain jumlah laporan; isinya data pribadi yang hanya dibaca "
                       "petugas yang menangani."),
}


def lapor(request):
    """The report form. The categories come inline (no round trip on a weak
    link), grouped as LAPOR_GROUPS orders them."""
    from django.utils.translation import get_language

    from reports import selectors as report_selectors

    english = (get_language() or "id").startswith("en")
    order = {code: i for i, (code, _icon, _label) in enumerate(LAPOR_GROUPS)}
    groups = {code: {"code": code, "icon": icon, "label": str(label), "categories": []}
              for code, icon, label in LAPOR_GROUPS}
    for c in sorted(report_selectors.categories_active(), key=lambda c: (order.get(c.group, 99), c.sort_order)):
        group = groups.setdefault(c.group or "lainnya", {"code": c.group, "icon": "📝", "label": c.group,
                                                         "categories": []})
        group["categories"].append({
            "code": c.code, "name": c.name_en if english else c.name_id, "photo_required": c.photo_required,
            "publication_class": c.publication_class,
            "public": str(PUBLIC_STATEMENT.get(c.publication_class, "")),
            "emergency": [{"number": n, "label": str(label)} for n, label in EMERGENCY_NUMBERS.get(c.code, [])]})
    form = {"groups": [g for g in groups.values() if g["categories"]]}
    return render(request, "portal/lapor.html", {"nav": "lapor", "map_config": maps.map_config(kind="lapor"),
                                                 "lapor_form": form,
                                                 "lapor_text": {k: str(v) for k, v in LAPOR_TEXT.items()}})


TRACKING_CODE_CHARS = re.compile(r"[-A-Z0-9_]{1,64}")


@require_GET
def lapor_tujuan(request):
    """Where a report would go before it is sent: desa, kecamatan and the
    handling agency for ?category=&lon=&lat= (the same routing as the
    submission); JSON errors in the request's language."""
    from geo.selectors import point_locate
    from reports import selectors as report_selectors

    try:
        lon, lat = float(request.GET.get("lon", "")), float(request.GET.get("lat", ""))
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError
    except ValueError:
        return JsonResponse({"code": "invalid", "message": _("Koordinat tidak valid.")}, status=400)
    category = report_selectors.category_get(code=request.GET.get("category", "")[:50])
    if category is None:
        return JsonResponse({"code": "unknown_category", "message": _("Kategori tidak dikenal.")}, status=400)
    location = point_locate(lon=lon, lat=lat, with_service_areas=False)
    if location is None:
        return JsonResponse({"code": "outside_coverage",
                             "message": _("Titik berada di luar wilayah Kabupaten Kubu Raya.")}, status=400)
    from django.contrib.gis.geos import Point

    route = report_selectors.routing_decide(category=category, location=location, point=Point(lon, lat, srid=4326))
    return JsonResponse({
        "desa": {"code": location.desa.code, "name": location.desa.name},
        "kecamatan": {"code": location.kecamatan.code, "name": location.kecamatan.name} if location.kecamatan else None,
        "approximate": location.approximate,
        "agency": {"code": route.agency.code, "name": route.agency.name} if route.agency else None,
    })


def lacak_cari(request):
    from residents.selectors import code_normalize

    code = code_normalize(request.GET.get("kode") or "")
    if code:
        if not TRACKING_CODE_CHARS.fullmatch(code):
            # No tracking code has such characters ("/" cannot even be in the path).
            return render(request, "portal/lacak.html", {"nav": "lacak", "code": code[:100], "tracked": None,
                                                         "dispute_error": ""}, status=404)
        from django.shortcuts import redirect
        return redirect("portal:lacak", code=code)
    return render(request, "portal/lacak_cari.html", {"nav": "lacak"})


def lacak(request, code: str, error: str = "", status: int | None = None):
    """The tracking page: the policy's tracking view for anyone holding the
    code; for its reporter (account, or the filing phone through the page's
    script) their description and photos, "is it fixed?" and the dispute."""
    from django.shortcuts import redirect
    from django.urls import reverse

    from residents import selectors as resident_selectors

    normal = resident_selectors.code_normalize(code)
    if normal != code and selectors.report_tracking(code=normal, user=None):
        return redirect("portal:lacak", code=normal)
    tracked = selectors.report_tracking(code=code, user=request.user)
    context = {"nav": "lacak", "code": code, "tracked": tracked, "dispute_error": error}
    if tracked:
        from reports.models import Report

        report = by_tracking_code(Report.objects.select_related("category"), code)
        if tracked.get("can_dispute"):
            tracked["dispute_url"] = reverse("portal:lacak-sanggah", kwargs={"code": code})
        context.update(
            following=resident_selectors.is_following(report=report, user=request.user),
            resident=resident_selectors.resident_of(request.user),
            own=(resident_selectors.reporter_view(report=report)
                 if request.user.is_authenticated and report.reporter_id == request.user.id else None),
            fix_confirmed=resident_selectors.fix_confirmed(report=report),
            public_point=selectors.report_public_point(report=report),
            public_photos=selectors.report_photos_public(report_id=report.id, code=code),
            supporters_count=report.supporters_count,
            share_url=request.build_absolute_uri(reverse("portal:lacak", kwargs={"code": code})),
            lacak_text={k: str(v) for k, v in LACAK_TEXT.items()})
    return render(request, "portal/lacak.html", context, status=status or (200 if tracked else 404))


@require_GET
def lacak_foto(request, code: str, photo_id: int):
    """A photo of the tracking page, for anyone holding the code: only from
    the public projection of photos (marked public by the handling agency's
    staff, report public); 404 otherwise. Stored photos carry no EXIF/GPS
    (re-encoded from their pixels at upload)."""
    from django.http import FileResponse

    from reports import policy as report_policy
    from reports.models import Report

    report_id = by_tracking_code(Report.objects.values_list("id", flat=True), code)
    photo = report_policy.report_photo_public(report_id=report_id, photo_id=photo_id) if report_id else None
    if photo is None:
        raise Http404
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response


LACAK_TEXT = {
    "copied": gettext_lazy("Kode disalin."),
    "copy_failed": gettext_lazy("Salin manual: tekan lama pada kode."),
    "shared": gettext_lazy("Tautan dibagikan."),
    "share_title": gettext_lazy("Laporan RT Online"),
    "photo": gettext_lazy("Foto laporan"),
    "evidence": gettext_lazy("Foto bukti penyelesaian"),
    "sending": gettext_lazy("Mengirim…"),
    "failed": gettext_lazy("Gagal terhubung. Coba lagi."),
}


@require_POST
def lacak_sanggah(request, code: str):
    """The reporter (account or the filing phone's secret) disputes a
    resolution: the report goes back to in progress with their reason as a
    public timeline entry (reports.services, through residents.services)."""
    from django.http import JsonResponse
    from django.shortcuts import redirect

    from common.api_errors import ApiError, error_body
    from residents import services as resident_services

    note, secret = (request.POST.get("note") or "").strip(), request.POST.get("device_secret") or ""
    # JSON for the phone's outbox (a dispute written offline, sent later by the service worker).
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        # Once per client_id: the outbox may send it again.
        resident_services.client_request_once(
            client_id=request.POST.get("client_id"), kind="dispute", code=code, user=request.user,
            secret=secret,
            apply=lambda: resident_services.report_dispute(code=code, note=note, user=request.user,
                                                           secret=secret))
    except ApiError as exc:
        if wants_json:
            return JsonResponse(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
        return lacak(request, code, error=str(exc.message), status=exc.status_code)
    if wants_json:
        return JsonResponse({"tracking_code": code, "status": "in_progress"})
    return redirect("portal:lacak", code=code)


def dasbor(request, printable: bool = False):
    figures = selectors.dashboard_figures()
    dataset_map = selectors.dataset_choropleth(selected=(request.GET.get("data") or "")[:200])
    # The page changes with the figures, the chosen dataset, the language, the
    # signed-in user, the CSRF cookie (its forms) and the templates: a browser
    # that sends the ETag back gets a 304 (ConditionalGetMiddleware) instead of
    # the page again.
    from django.utils.translation import get_language

    from django.conf import settings

    key = (figures.get("generated_at"), dataset_map.get("selected"), printable, get_language(),
           request.user.pk, request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""), _templates_version())
    etag = hashlib.sha1(repr(key).encode()).hexdigest()[:16]
    print_map = ""
    if printable and figures.get("kecamatan_values") is not None:
        from . import charts
        from .printmaps import choropleth_map

        print_map = choropleth_map(boundaries_geojson=selectors.boundaries_geojson(level="kecamatan"),
                                   values=figures["kecamatan_values"], colour=charts._class_colour,
                                   title=_("Laporan per kecamatan"))
    response = render(request, "portal/dasbor.html", {"nav": "dasbor", "f": figures, "printable": printable,
                                                      "dataset_map": dataset_map, "print_map": print_map})
    response["ETag"] = f'W/"{etag}"'
    response["Cache-Control"] = "private, no-cache"
    return response


def _templates_version() -> str:
    """Modification times of the portal's templates (a deploy changes them)."""
    global _TEMPLATES_VERSION
    if _TEMPLATES_VERSION is None:
        from pathlib import Path

        root = Path(__file__).parent / "templates" / "portal"
        _TEMPLATES_VERSION = str(max((p.stat().st_mtime_ns for p in root.rglob("*.html")), default=0))
    return _TEMPLATES_VERSION


_TEMPLATES_VERSION = None


class Masuk(auth_views.LoginView):
    """The one sign-in of every role; each role then lands on its own page
    (portal.roles.landing_url) unless ?next= names another."""
    template_name = "portal/masuk.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True
    extra_context = {"nav": "masuk"}

    def get_default_redirect_url(self):
        return landing_url(user=self.request.user)


class Keluar(auth_views.LogoutView):
    next_page = "portal:home"


@login_required(login_url="portal:masuk")
def kerja(request):
    w = workspace.queue(user=request.user, params=request.GET)
    if w is None:  # not agency staff: their own page instead of a dead end
        return redirect(landing_url(user=request.user))
    return render(request, "portal/kerja/queue.html", {"nav": "kerja", "w": w,
                                                       "map_config": maps.map_config(kind="kerja")})


@login_required(login_url="portal:masuk")
def kerja_laporan(request, report_id):
    d = workspace.report_detail(user=request.user, report_id=report_id)
    if d is None:
        raise Http404(_("Laporan tidak ditemukan di antrean Anda."))
    contact, contact_error, photo_error, status = None, "", "", 200
    if request.method == "POST" and request.POST.get("action") == "photo_public":
        from common.api_errors import ApiError
        from reports.services import report_photo_publish

        try:
            report_photo_publish(report_id=report_id, photo_id=int(request.POST.get("photo_id") or 0),
                                 user=request.user, public=request.POST.get("public") == "1")
        except ValueError:
            photo_error, status = _("Foto tidak ditemukan."), 404
        except ApiError as exc:
            photo_error, status = str(exc.message), exc.status_code
        if not photo_error:
            return redirect("portal:kerja-laporan", report_id=report_id)
        d = workspace.report_detail(user=request.user, report_id=report_id)
    if request.method == "POST" and request.POST.get("action") == "contact":
        from common.api_errors import ApiError

        try:
            contact = workspace.reporter_contact(user=request.user, report_id=report_id,
                                                 reason=request.POST.get("reason", ""),
                                                 ip_address=request.META.get("REMOTE_ADDR"))
        except ApiError as exc:
            contact_error, status = str(exc.message), exc.status_code
    response = render(request, "portal/kerja/report.html", {
        "nav": "kerja", "d": d, "contact": contact, "contact_error": contact_error, "photo_error": photo_error,
        "agencies": list(geo_selectors.agencies_list()) if d["can_reroute"] else [],
        "map_config": maps.map_config(kind="kerja")}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _coordinate(value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@login_required(login_url="portal:masuk")
def kerja_dekat(request):
    """Field crews: their open reports nearest the phone (the page asks the
    phone for its position, then reloads with ?lat=&lon=)."""
    lat = _coordinate(request.GET.get("lat"), -90, 90)
    lon = _coordinate(request.GET.get("lon"), -180, 180)
    radius = workspace.NEAR_RADII[1]
    if request.GET.get("r", "").isdigit() and int(request.GET["r"]) in workspace.NEAR_RADII:
        radius = int(request.GET["r"])
    near = workspace.near_me(user=request.user, lon=lon, lat=lat, radius_m=radius)
    if near is None:
        return redirect(landing_url(user=request.user))
    response = render(request, "portal/kerja/dekat.html", {"nav": "dekat", "n": near,
                                                           "map_config": maps.map_config(kind="kerja")})
    response["Cache-Control"] = "private, no-store"
    return response


def _planner_or_none(request):
    from accounts.models import Role
    from accounts.selectors import user_has_role

    return user_has_role(user=request.user, roles=[Role.PLANNER])


@login_required(login_url="portal:masuk")
def perencana(request):
    """The planner's map page: draw an area, pick source, category and period."""
    from . import planner_page

    if not _planner_or_none(request):
        return render(request, "403.html", status=403)
    q = planner_page.Query(request.GET)
    r = planner_page.result(q) if (q.raw_geometry or q.errors) else None
    return render(request, "portal/perencana.html", {
        "nav": "perencana", "q": q, "r": r, "opts": planner_page.options(),
        "query_string": request.GET.urlencode(), "map_config": maps.map_config(kind="kerja"),
        "r_json": {"area": r["area_geojson"], "hotspots": r["hotspots"], "features": r["features"][:2000]}
        if r else None}, status=400 if r and r["errors"] else 200)


def _json_error(code: str, message, status: int = 400, fields: dict | None = None) -> JsonResponse:
    from common.api_errors import error_body

    return JsonResponse(error_body(code, message, fields), status=status)


@login_required(login_url="portal:masuk")
def perencana_unduh(request, fmt: str):
    """The page's result as GeoJSON, CSV or GeoPackage; bad input is a JSON error."""
    import json as _json

    from . import planner_page

    if not _planner_or_none(request):
        return _json_error("permission_denied", _("Hanya perencana."), status=403)
    q = planner_page.Query(request.GET)
    if not q.raw_geometry and not q.errors:
        return _json_error("geometry_required", _("Gambar poligon atau titik buffer di peta terlebih dahulu."),
                           fields={"geometry": ["required"]})
    r = planner_page.result(q)
    if r["errors"]:
        return _json_error("invalid_query", " ".join(r["errors"]))
    name = f"perencana-{q.layer.id}"
    if fmt == "geojson":
        response = HttpResponse(_json.dumps(planner_page.feature_collection(q, r)),
                                content_type="application/geo+json")
    elif fmt == "csv":
        response = HttpResponse(planner_page.as_csv(q, r), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(planner_page.as_geopackage(q, r), content_type="application/geopackage+sqlite3")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required(login_url="portal:masuk")
def perencana_cetak(request):
    """A printable map document of the page's result, rendered with folium."""
    from . import planner_page

    if not _planner_or_none(request):
        return render(request, "403.html", status=403)
    q = planner_page.Query(request.GET)
    r = planner_page.result(q)
    return HttpResponse(planner_page.folium_document(q, r, title=_("Hasil analisis perencana")),
                        status=400 if r["errors"] else 200)


@login_required(login_url="portal:masuk")
def kerja_dpo(request):
    """The data-protection officer's page: the personal-data access log (who
    read whose data, when, why); the CSV is the API's export."""
    from accounts.models import Role
    from accounts.selectors import user_has_role
    from reports.models import PersonalDataAccess

    if not user_has_role(user=request.user, roles=[Role.DPO]):
        return render(request, "403.html", status=403)
    rows = (PersonalDataAccess.objects.select_related("user", "agency", "report")
            .order_by("-accessed_at")[:200])
    return render(request, "portal/kerja/dpo.html", {"nav": "dpo", "rows": rows})


@login_required(login_url="portal:masuk")
def kerja_umkm(request):
    """The UMKM verifier's page: businesses waiting for verification, verified
    or rejected here through businesses.services (as the API does)."""
    from accounts.models import Role
    from accounts.selectors import user_has_role
    from businesses import selectors as business_selectors
    from businesses import services as business_services
    from businesses.models import Business
    from common.api_errors import ApiError
    from django.contrib import messages

    if not user_has_role(user=request.user, roles=[Role.UMKM_VERIFIER]):
        return render(request, "403.html", status=403)
    if request.method == "POST":
        business = Business.objects.filter(pk=request.POST.get("business") or 0).first() \
            if (request.POST.get("business") or "").isdigit() else None
        if business is None:
            messages.error(request, _("Usaha tidak ditemukan."))
        else:
            try:
                business_services.business_verify(business=business, actor=request.user,
                                                   decision=request.POST.get("decision", ""),
                                                   note=request.POST.get("note", ""))
            except ApiError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("Tersimpan."))
        return redirect("portal:umkm-verifikasi")
    pending = business_selectors.businesses_pending_verification(user=request.user).select_related("desa")[:100]
    return render(request, "portal/kerja/umkm.html", {"nav": "umkm", "pending": pending})
