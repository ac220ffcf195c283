"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
from django.urls import path, re_path

from . import apis, open311

urlpatterns = [
    path("api/v1/auth/token/", apis.TokenApi.as_view(), name="auth-token"),
    path("api/v1/categories/", apis.CategoryListApi.as_view(), name="categories-list"),
    path("api/v1/reports/", apis.ReportListCreateApi.as_view(), name="reports-list"),
    path("api/v1/reports/candidates", apis.ReportCandidatesApi.as_view(), name="reports-candidates"),
    path("api/v1/reports/nearby", apis.ReportNearbyApi.as_view(), name="reports-nearby"),
    path("api/v1/reports/queue/", apis.ReportQueueApi.as_view(), name="reports-queue"),
    path("api/v1/reports/overdue/", apis.ReportOverdueApi.as_view(), name="reports-overdue"),
    path("api/v1/reports/access-log/", apis.AccessLogApi.as_view(), name="reports-access-log"),
    path("api/v1/reports/track/<str:tracking_code>/", apis.ReportTrackApi.as_view(), name="reports-track"),
    path("api/v1/reports/<uuid:report_id>/", apis.ReportDetailApi.as_view(), name="reports-detail"),
    path("api/v1/reports/<uuid:report_id>/timeline/", apis.ReportTimelineApi.as_view(), name="reports-timeline"),
    path("api/v1/reports/<uuid:report_id>/transitions/", apis.ReportTransitionApi.as_view(),
         name="reports-transitions"),
    path("api/v1/reports/<uuid:report_id>/notes/", apis.ReportNoteApi.as_view(), name="reports-notes"),
    path("api/v1/reports/<uuid:report_id>/support/", apis.ReportSupportApi.as_view(), name="reports-support"),
    path("api/v1/reports/<uuid:report_id>/subject/", apis.ReportSubjectApi.as_view(), name="reports-subject"),
    path("api/v1/reports/<uuid:report_id>/photos/<int:photo_id>", apis.ReportPhotoApi.as_view(),
         name="reports-photo"),
    # Open311 GeoReport v2; the format is the path suffix as the spec shows.
    re_path(r"^open311/v2/discovery\.(?P<fmt>json|xml)$", open311.discovery, name="open311-discovery"),
    re_path(r"^open311/v2/services\.(?P<fmt>json|xml)$", open311.services_list, name="open311-services"),
    re_path(r"^open311/v2/services/(?P<code>[-\w]+)\.(?P<fmt>json|xml)$", open311.service_definition,
            name="open311-service"),
    re_path(r"^open311/v2/requests\.(?P<fmt>json|xml)$", open311.requests_list, name="open311-requests"),
    re_path(r"^open311/v2/requests/(?P<request_id>[-\w]+)\.(?P<fmt>json|xml)$", open311.request_detail,
            name="open311-request"),
]
