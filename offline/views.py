"""The installable app's files (service worker at the root scope, manifest)
and the crew's offline page."""
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.contrib.staticfiles import finders
from django.utils.translation import gettext as _

SW_VERSION = "kr-offline-v1"


def service_worker(request):
    """/sw.js: served from the root so that it may control every page."""
    path = finders.find("offline/sw.js")
    with open(path, encoding="utf-8") as f:
        body = f.read()
    import json

    from .text import offline_text_all

    body = (body.replace("__SHELL__", _shell_json()).replace("__VERSION__", SW_VERSION)
            .replace("__SYNC_JS__", static("offline/sync.js"))
            .replace("__TEXT__", json.dumps(offline_text_all(), ensure_ascii=False)))
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def _shell_json() -> str:
    import json

    # The report form's map draws the desa lines (/peta/wilayah/desa.garis.json)
    # to help a resident place the point: kept at install so the form works
    # offline on a first visit too.
    urls = ["/offline/", "/lapor/", "/kerja/offline/", "/peta/wilayah/desa.garis.json", static("offline/offline.js"), static("offline/sync.js"),
            static("offline/icon-192.png"), static("offline/register.js"), static("portal/css/portal.css"),
            static("portal/js/common.js"), static("portal/js/lapor.js"), static("portal/js/lacak.js"),
            static("portal/js/laporan_saya.js"),
            static("portal/vendor/leaflet/leaflet.js"), static("portal/vendor/leaflet/leaflet.css"),
            static("portal/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js")]
    return json.dumps(urls)


def manifest(request):
    import json

    body = {
        "name": "Kubu Raya Smart City - RT Online",
        "short_name": "RT Online",
        "description": _("Lapor, lacak, dan kerjakan laporan warga Kubu Raya, juga tanpa sinyal."),
        "lang": "id", "dir": "ltr", "start_url": "/?source=pwa", "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#0b5d3b",
        "icons": [{"src": static("offline/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                  {"src": static("offline/icon-512.png"), "sizes": "512x512", "type": "image/png",
                   "purpose": "any maskable"}],
    }
    response = HttpResponse(json.dumps(body), content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def offline_fallback(request):
    return render(request, "offline/offline.html", {})


@login_required(login_url="portal:masuk")
def crew_offline(request):
    return render(request, "offline/crew.html", {})
