"""URLs of this app, with their full paths (config.urls mounts every app at /)."""
from django.urls import path, register_converter

from tiles import apis


class LayerList:
    regex = r"[a-z0-9][a-z0-9_-]*(,[a-z0-9][a-z0-9_-]*)*"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(LayerList, "layers")

urlpatterns = [
    path("tiles/raster/<slug:name>/<int:z>/<int:x>/<int:y>.png", apis.raster_tile, name="tiles-raster"),
    path("tiles/raster/<slug:name>.json", apis.raster_tilejson, name="tiles-raster-tilejson"),
    path("api/v1/rasters/", apis.RasterListApi.as_view(), name="rasters-list"),
    path("api/v1/rasters/<slug:name>/value", apis.RasterValueApi.as_view(), name="rasters-value"),
    path("api/v1/rasters/<slug:name>/zonal", apis.RasterZonalApi.as_view(), name="rasters-zonal"),
    path("tiles/<layers:layers>.json", apis.tilejson, name="tiles-tilejson"),
    path("tiles/<layers:layers>/<int:z>/<int:x>/<int:y>.mvt", apis.vector_tile, name="tiles-vector"),
]
