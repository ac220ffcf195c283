"""Pages of the portal. Views are thin: public data comes from the
publication policy (layers.policy.*) through portal.selectors, geography from
geo.selectors; the agency workspace reads through reports' own selectors and
writes through the reports API."""
import hashlib

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

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
}


def home(request):
    return render(request, "portal/home.html", {"nav": "home"})


def peta(request):
    return render(request, "portal/peta.html", {"nav": "peta", "map_config": maps.map_config(kind="peta")})


@require_GET
def peta_wilayah(request, level: str):
    if level not in ("desa", "kecamatan"):
        raise Http404
    etag = f'"{level}-{selectors.edition_tag()}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    response = HttpResponse(selectors.boundaries_geojson(level=level), content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    return response


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


def lapor(request):
    return render(request, "portal/lapor.html", {"nav": "lapor", "map_config": maps.map_config(kind="lapor"),
                                                 "lapor_text": {k: str(v) for k, v in LAPOR_TEXT.items()}})


def lacak_cari(request):
    code = (request.GET.get("kode") or "").strip().upper()
    if code:
        from django.shortcuts import redirect
        return redirect("portal:lacak", code=code)
    return render(request, "portal/lacak_cari.html", {"nav": "lacak"})


def lacak(request, code: str, error: str = "", status: int | None = None):
    tracked = selectors.report_tracking(code=code.strip().upper(), user=request.user)
    if tracked and tracked.get("can_dispute"):
        from django.urls import reverse

        tracked["dispute_url"] = reverse("portal:lacak-sanggah", kwargs={"code": code})
    return render(request, "portal/lacak.html", {"nav": "lacak", "code": code, "tracked": tracked,
                                                 "dispute_error": error},
                  status=status or (200 if tracked else 404))


@require_POST
@login_required(login_url="portal:masuk")
def lacak_sanggah(request, code: str):
    """The reporter disputes a resolution: the report goes back to in progress
    with their reason as a public timeline entry (reports.services)."""
    from django.shortcuts import redirect

    error = selectors.report_dispute(code=code.strip().upper(), user=request.user,
                                     note=(request.POST.get("note") or "").strip())
    if error:
        return lacak(request, code, error=error[1], status=error[0])
    return redirect("portal:lacak", code=code)


def dasbor(request, printable: bool = False):
    figures = selectors.dashboard_figures()
    dataset_map = selectors.dataset_choropleth(selected=(request.GET.get("data") or "")[:200])
    etag = hashlib.sha1(repr((figures.get("generated_at"), dataset_map.get("selected"))).encode()).hexdigest()[:16]
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
    return response


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
    contact, contact_error, status = None, "", 200
    if request.method == "POST" and request.POST.get("action") == "contact":
        from config.api_errors import ApiError

        try:
            contact = workspace.reporter_contact(user=request.user, report_id=report_id,
                                                 reason=request.POST.get("reason", ""),
                                                 ip_address=request.META.get("REMOTE_ADDR"))
        except ApiError as exc:
            contact_error, status = str(exc.message), exc.status_code
    response = render(request, "portal/kerja/report.html", {
        "nav": "kerja", "d": d, "contact": contact, "contact_error": contact_error,
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
    from config.api_errors import error_body

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
    from config.api_errors import ApiError
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
    pending = business_selectors.businesses_pending_verification().select_related("desa")[:100]
    return render(request, "portal/kerja/umkm.html", {"nav": "umkm", "pending": pending})
