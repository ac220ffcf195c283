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
    path("tiles/<layers:layers>.json", apis.tilejson, name="tiles-tilejson"),
    path("tiles/<layers:layers>/<int:z>/<int:x>/<int:y>.mvt", apis.vector_tile, name="tiles-vector"),
]
