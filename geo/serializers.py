import math

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from common.serializers import InputSerializer

from .models import Agency, Area, ServiceArea


class CoordinatesInput(InputSerializer):
    """lon/lat in EPSG:4326 (WGS84), decimal degrees: the point lookup's one
    validator (DRF's path and the lean path of geo.apis)."""

    lon = serializers.FloatField(min_value=-180, max_value=180,
                                 error_messages={"invalid": _("lon harus berupa angka desimal (derajat).")})
    lat = serializers.FloatField(min_value=-90, max_value=90,
                                 error_messages={"invalid": _("lat harus berupa angka desimal (derajat).")})

    def validate(self, attrs):
        if not all(math.isfinite(v) for v in attrs.values()):
            raise serializers.ValidationError(_("Koordinat harus berupa angka terhingga."))
        return attrs


class AreaListSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None)
    has_boundary = serializers.BooleanField(read_only=True, help_text="Annotated by AreaListApi.")

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent_code", "has_boundary"]


class AgencyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["code", "name", "short_name", "kind"]


class ServiceAreaSerializer(serializers.ModelSerializer):
    agency = AgencyRefSerializer()
    defined_by = serializers.SerializerMethodField()

    class Meta:
        model = ServiceArea
        fields = ["id", "name", "agency", "area_codes", "defined_by"]

    def get_defined_by(self, sa) -> str:
        if sa.geom is not None and sa.area_codes:
            return "geometry+codes"
        return "geometry" if sa.geom is not None else "codes"


class AgencySerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", default=None)
    service_areas = serializers.SerializerMethodField()

    class Meta:
        model = Agency
        fields = ["code", "name", "short_name", "kind", "parent_code", "is_coordinator", "service_areas"]

    def get_service_areas(self, agency) -> list[dict]:
        return [{"id": sa.id, "name": sa.name, "area_codes": sa.area_codes,
                 "has_geometry": sa.geom is not None} for sa in agency.service_areas.all()]
