"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
from django.urls import path

from . import apis, views

urlpatterns = [
    path("api/v1/datasets/", apis.DatasetListApi.as_view(), name="datasets-list"),
    path("api/v1/datasets/choropleth/", apis.ChoroplethOptionsApi.as_view(), name="datasets-choropleth"),
    path("api/v1/datasets/choropleth/<slug:slug>/<str:field>/", apis.ChoroplethValuesApi.as_view(),
         name="datasets-choropleth-values"),
    path("api/v1/datasets/<slug:slug>/", apis.DatasetDetailApi.as_view(), name="datasets-detail"),
    path("api/v1/datasets/<slug:slug>/fields/", apis.DatasetFieldsApi.as_view(), name="datasets-fields"),
    path("api/v1/datasets/<slug:slug>/versions/", apis.DatasetVersionListApi.as_view(), name="datasets-versions"),
    path("api/v1/datasets/<slug:slug>/versions/<int:number>/approve/", apis.DatasetVersionApproveApi.as_view(),
         name="datasets-version-approve"),
    path("api/v1/datasets/<slug:slug>/versions/<int:number>/reject/", apis.DatasetVersionRejectApi.as_view(),
         name="datasets-version-reject"),
    path("data/opd/", views.dataset_list, name="datasets-page-list"),
    path("data/opd/<slug:slug>/", views.dataset_detail, name="datasets-page-detail"),
]
