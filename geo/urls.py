from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/areas/covering", apis.AreasCoveringApi.as_view(), name="areas-covering"),
    path("api/v1/areas/", apis.AreaListApi.as_view(), name="areas-list"),
    path("api/v1/areas/<str:code>", apis.AreaDetailApi.as_view(), name="area-detail"),
    path("api/v1/agencies/", apis.AgencyListApi.as_view(), name="agencies-list"),
]
