"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
from django.urls import path

from . import apis, views
from .ogc import views as ogc

urlpatterns = [
    path("ogc/", ogc.LandingView.as_view(), name="ogc-landing"),
    path("ogc/conformance", ogc.ConformanceView.as_view(), name="ogc-conformance"),
    path("ogc/api", ogc.OpenApiView.as_view(), name="ogc-openapi"),
    path("ogc/api.html", ogc.ServiceDocView.as_view(), name="ogc-service-doc"),
    path("ogc/collections", ogc.CollectionsView.as_view(), name="ogc-collections"),
    path("ogc/collections/<str:collection_id>", ogc.CollectionView.as_view(), name="ogc-collection"),
    path("ogc/collections/<str:collection_id>/items", ogc.ItemsView.as_view(), name="ogc-items"),
    path("ogc/collections/<str:collection_id>/schema", ogc.SchemaView.as_view(), name="ogc-schema"),
    path("ogc/collections/<str:collection_id>/queryables", ogc.QueryablesView.as_view(), name="ogc-queryables"),
    path("ogc/collections/<str:collection_id>/items/<str:feature_id>", ogc.ItemView.as_view(), name="ogc-item"),
    path("api/v1/layers/", apis.LayerListApi.as_view(), name="layers-list"),
    path("api/v1/layers/<str:layer_id>/", apis.LayerMetadataApi.as_view(), name="layers-metadata"),
    path("api/v1/layers/<str:layer_id>/licence.txt", apis.LayerLicenceApi.as_view(), name="layers-licence"),
    path("api/v1/layers/<str:layer_id>/download.<str:fmt>", apis.LayerDownloadApi.as_view(),
         name="layers-download"),
    path("api/v1/planner/statistics", apis.PlannerStatisticsApi.as_view(), name="planner-statistics"),
    path("api/v1/planner/within", apis.PlannerWithinApi.as_view(), name="planner-within"),
    path("api/v1/planner/hotspots", apis.PlannerHotspotsApi.as_view(), name="planner-hotspots"),
    path("api/v1/reports/counts/", apis.ReportCountsApi.as_view(), name="reports-counts"),
    path("data/", views.open_data, name="open-data"),
]
