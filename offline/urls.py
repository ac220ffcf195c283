from django.urls import path

from . import apis, views

app_name = "offline"

urlpatterns = [
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline_fallback, name="fallback"),
    path("kerja/offline/", views.crew_offline, name="crew"),
    path("api/v1/offline/package/", apis.PackageApi.as_view(), name="package"),
    path("api/v1/offline/actions/", apis.SyncApi.as_view(), name="actions"),
]
