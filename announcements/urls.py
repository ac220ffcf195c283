"""URLs of announcements, with their full paths (config.urls mounts every app at /)."""
from django.urls import path, re_path

from . import apis, views

urlpatterns = [
    path("api/v1/announcements/", apis.AnnouncementListCreateApi.as_view(), name="announcements-list"),
    path("api/v1/announcements/mine/", apis.MinePlaceApi.as_view(), name="announcements-mine"),
    path("api/v1/announcements/offers/", apis.OffersApi.as_view(), name="announcements-offers"),
    path("api/v1/announcements/<str:public_id>/", apis.AnnouncementDetailApi.as_view(), name="announcements-detail"),
    path("api/v1/announcements/<str:public_id>/publish/", apis.AnnouncementPublishApi.as_view()),
    path("api/v1/announcements/<str:public_id>/approve/", apis.AnnouncementApproveApi.as_view()),
    path("api/v1/announcements/<str:public_id>/correct/", apis.AnnouncementCorrectApi.as_view()),
    path("api/v1/announcements/<str:public_id>/withdraw/", apis.AnnouncementWithdrawApi.as_view()),
    path("api/v1/announcements/<str:public_id>/attachments/", apis.AnnouncementAttachmentApi.as_view()),
    path("api/v1/subscriptions/", apis.SubscriptionCreateApi.as_view(), name="subscriptions-create"),
    path("api/v1/subscriptions/<str:token>/", apis.SubscriptionDeleteApi.as_view(), name="subscriptions-delete"),
    path("api/v1/push/vapid-key", apis.VapidKeyApi.as_view(), name="push-vapid-key"),
    path("pengumuman/", views.page_index, name="announcements-page"),
    path("pengumuman/tempat-saya/", views.page_mine, name="announcements-mine-page"),
    path("pengumuman/kelola/", views.page_manage, name="announcements-manage"),
    path("pengumuman/kelola/<uuid:public_id>/lampiran/", views.page_manage_attachment,
         name="announcements-manage-attachment"),
    path("pengumuman/sw.js", views.service_worker, name="announcements-sw"),
    path("pengumuman/feed.atom", views.feed_point, name="announcements-feed"),
    path("pengumuman/cap.atom", views.cap_index, name="announcements-cap-index"),
    re_path(r"^pengumuman/cap/(?P<identifier>[-\w]+)\.xml$", views.cap_document, name="announcements-cap"),
    path("pengumuman/berhenti/<uuid:token>/", views.page_unsubscribe, name="announcements-unsubscribe"),
    re_path(r"^pengumuman/(?P<level>desa|kecamatan)/(?P<code>[\d.]+)\.atom$", views.feed_area,
            name="announcements-feed-area"),
    re_path(r"^pengumuman/(?P<level>desa|kecamatan)/(?P<code>[\d.]+)/$", views.page_area,
            name="announcements-page-area"),
    path("pengumuman/<uuid:public_id>/", views.page_detail, name="announcements-detail-page"),
]
