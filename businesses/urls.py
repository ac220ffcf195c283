"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/businesses/", apis.BusinessListApi.as_view(), name="businesses-list"),
    path("api/v1/businesses/mine/", apis.BusinessMineApi.as_view(), name="businesses-mine"),
    path("api/v1/businesses/pending/", apis.PendingApi.as_view(), name="businesses-pending"),
    path("api/v1/businesses/stats/", apis.StatsApi.as_view(), name="businesses-stats"),
    path("api/v1/businesses/<int:business_id>/", apis.BusinessDetailApi.as_view(), name="businesses-detail"),
    path("api/v1/businesses/<int:business_id>/certificates/", apis.CertificateCreateApi.as_view(),
         name="businesses-certificates"),
    path("api/v1/businesses/<int:business_id>/consents/", apis.ConsentCreateApi.as_view(),
         name="businesses-consents"),
    path("api/v1/businesses/<int:business_id>/verification/", apis.VerificationApi.as_view(),
         name="businesses-verification"),
    path("api/v1/businesses/<int:business_id>/audit/", apis.AuditApi.as_view(), name="businesses-audit"),
    path("api/v1/kbli/", apis.KbliListApi.as_view(), name="kbli-list"),
]
