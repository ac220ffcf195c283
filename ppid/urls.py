"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from . import apis, views

urlpatterns = [
    path("informasi/", views.information_list, name="ppid-information"),
    path("ppid/", views.home, name="ppid-home"),
    # One sign-in for every role (portal:masuk); these names stay for old links.
    path("ppid/masuk/", RedirectView.as_view(pattern_name="portal:masuk", query_string=True), name="ppid-login"),
    path("ppid/keluar/", auth_views.LogoutView.as_view(next_page="ppid-home"), name="ppid-logout"),
    path("ppid/daftar/", views.signup, name="ppid-signup"),
    path("ppid/permohonan/", views.request_mine, name="ppid-request-mine"),
    path("ppid/permohonan/baru/", views.request_new, name="ppid-request-new"),
    path("ppid/permohonan/<str:number>/", views.request_track, name="ppid-request-track"),
    path("ppid/petugas/", views.workspace, name="ppid-workspace"),
    path("ppid/petugas/<str:number>/", views.workspace_request, name="ppid-workspace-request"),
    path("ppid/laporan/<int:year>/", views.annual_report, name="ppid-annual-report"),
    path("api/v1/ppid/requesters/", apis.RequesterRegistrationApi.as_view(), name="ppid-api-requesters"),
    path("api/v1/ppid/requesters/me/", apis.RequesterMeApi.as_view(), name="ppid-api-requester-me"),
    path("api/v1/ppid/requests/", apis.RequestListApi.as_view(), name="ppid-api-requests"),
    path("api/v1/ppid/requests/<str:number>/", apis.RequestDetailApi.as_view(), name="ppid-api-request"),
    path("api/v1/ppid/requests/<str:number>/extension/", apis.RequestExtensionApi.as_view(),
         name="ppid-api-request-extension"),
    path("api/v1/ppid/requests/<str:number>/decision/", apis.RequestDecisionApi.as_view(),
         name="ppid-api-request-decision"),
    path("api/v1/ppid/requests/<str:number>/delivery/", apis.RequestDeliveryApi.as_view(),
         name="ppid-api-request-delivery"),
    path("api/v1/ppid/requests/<str:number>/withdrawal/", apis.RequestWithdrawalApi.as_view(),
         name="ppid-api-request-withdrawal"),
    path("api/v1/ppid/requests/<str:number>/objections/", apis.ObjectionCreateApi.as_view(),
         name="ppid-api-objections"),
    path("api/v1/ppid/objections/<str:number>/decision/", apis.ObjectionDecisionApi.as_view(),
         name="ppid-api-objection-decision"),
    path("api/v1/ppid/objections/<str:number>/dispute/", apis.ObjectionDisputeApi.as_view(),
         name="ppid-api-objection-dispute"),
    path("api/v1/ppid/annual-report/<int:year>/", apis.AnnualReportApi.as_view(), name="ppid-api-annual-report"),
    path("api/v1/ppid/information/", apis.InformationListApi.as_view(), name="ppid-api-information"),
]
