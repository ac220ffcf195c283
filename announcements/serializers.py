"""GeoJSON output of the announcements API (djangorestframework-gis)."""
from rest_framework_gis.fields import GeometrySerializerMethodField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from announcements import policy as announcements_policy

from .models import Announcement

# Target areas are drawn, not measured: simplified to ~20 m (degrees).
SIMPLIFY_DEG = 0.0002


class AnnouncementFeature(GeoFeatureModelSerializer):
    """One announcement as a GeoJSON Feature: `id` the public id, properties
    only from the publication policy (plus author, approver and source report
    for its own speakers: context `internal`), the target area simplified.
    Context: `lang` ("id" or "en"), `internal` (bool)."""

    geometry = GeometrySerializerMethodField()

    class Meta:
        model = Announcement
        geo_field = "geometry"
        id_field = "public_id"
        fields = ["public_id", "geometry"]

    def get_geometry(self, a: Announcement):
        return a.geom.simplify(SIMPLIFY_DEG, preserve_topology=True) if a.geom is not None else None

    def get_properties(self, a: Announcement, fields) -> dict:
        props = announcements_policy.announcement_public_dict(a, lang=self.context["lang"])
        if self.context.get("internal"):
            props.update({"author": a.author.username if a.author_id else None,
                          "approved_by": a.approved_by.username if a.approved_by_id else None,
                          "source_report": a.source_report.tracking_code if a.source_report_id else None})
        return props
