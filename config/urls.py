"""Every app owns its full paths; this module only mounts them."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health
from ops import apis as ops_apis

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", ops_apis.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The hot read paths first: Django tries the includes in order, and each
    # include a map tile passed cost it ~0.1 ms (66 patterns tried; issue 25).
    path("", include("tiles.urls")),
    path("", include("layers.urls")),
    path("", include("geo.urls")),
    path("", include("reports.urls")),
    path("", include("businesses.urls")),
    path("", include("ppid.urls")),
    path("", include("datasets.urls")),
    path("", include("offline.urls")),
    path("", include("residents.urls")),
    path("", include("announcements.urls")),
    path("", include("portal.urls")),
]

# A database fault raised anywhere (middleware included) answers 503 + Retry-After.
handler500 = "ops.apis.server_error"
# SuspiciousOperation (bad Host, a GeoJSON naming an external CRS) answers JSON 400.
handler400 = "ops.apis.bad_request"
# Unmatched paths under /api/, /ogc/, /tiles/ and /open311/ answer JSON 404.
handler404 = "ops.apis.not_found"
