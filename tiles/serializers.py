from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tiles.models import Raster
from tiles.selectors import ZONE_LEVELS


class RasterOutputSerializer(serializers.ModelSerializer):
    bounds = serializers.SerializerMethodField()
    tiles = serializers.SerializerMethodField()

    class Meta:
        model = Raster
        fields = ["name", "title", "kind", "crs", "bounds", "nodata", "dtype", "band_count", "minimum",
                  "maximum", "unit", "attribution", "updated_at", "tiles"]

    def get_bounds(self, obj):
        return [obj.west, obj.south, obj.east, obj.north]

    def get_tiles(self, obj):
        request = self.context.get("request")
        path = f"/tiles/raster/{obj.name}/{{z}}/{{x}}/{{y}}.png"
        return request.build_absolute_uri(path).replace("%7B", "{").replace("%7D", "}") if request else path


class PointInputSerializer(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class ZonalInputSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=[str(v) for v in ZONE_LEVELS], default="desa")
    threshold = serializers.FloatField(required=False, help_text=_("Ambang untuk porsi di atas ambang."))
