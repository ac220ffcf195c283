from rest_framework import serializers

from geo.models import Agency, Edition
from ppid.models import Pasal17

from .models import Dataset, KipClass


class DatasetInput(serializers.Serializer):
    slug = serializers.SlugField(max_length=60)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=Dataset.Kind.choices)
    producer = serializers.SlugRelatedField(slug_field="code", queryset=Agency.objects.filter(is_active=True))
    frequency = serializers.ChoiceField(choices=Dataset.Frequency.choices)
    kip_class = serializers.ChoiceField(choices=KipClass.choices)
    legal_basis = serializers.CharField(max_length=300)
    reference_edition = serializers.SlugRelatedField(slug_field="slug", queryset=Edition.objects.all(),
                                                     required=False, default=None)
    licence = serializers.CharField(max_length=200, required=False, default=None)
    exemption_basis = serializers.ChoiceField(choices=Pasal17.choices, required=False, allow_blank=True,
                                              default="")
    consequence_test = serializers.CharField(required=False, allow_blank=True, default="")
    exemption_until = serializers.DateField(required=False, allow_null=True, default=None)
    source = serializers.CharField(required=False, allow_blank=True, default="")
    scale = serializers.CharField(required=False, allow_blank=True, default="")
    keywords = serializers.CharField(required=False, allow_blank=True, default="")


class DatasetUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False)
    frequency = serializers.ChoiceField(choices=Dataset.Frequency.choices, required=False)
    kip_class = serializers.ChoiceField(choices=KipClass.choices, required=False)
    legal_basis = serializers.CharField(max_length=300, required=False)
    licence = serializers.CharField(max_length=200, required=False)
    exemption_basis = serializers.ChoiceField(choices=Pasal17.choices, required=False, allow_blank=True)
    consequence_test = serializers.CharField(required=False, allow_blank=True)


class UploadInput(serializers.Serializer):
    file = serializers.FileField()
    exempt_fields = serializers.CharField(required=False, allow_blank=True, default="",
                                          help_text="Comma-separated field names to mark exempt.")


class FieldsInput(serializers.Serializer):
    exempt = serializers.DictField(child=serializers.BooleanField(), required=False, default=dict)
    labels = serializers.DictField(child=serializers.CharField(), required=False, default=dict)


class ReviewInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


def version_dict(version) -> dict:
    return {"number": version.number, "state": version.state, "format": version.format,
            "original_name": version.original_name, "rows": version.row_count,
            "geometry_type": version.geometry_type, "uploaded_at": version.uploaded_at,
            "reviewed_at": version.reviewed_at, "review_note": version.review_note, "report": version.report}


def dataset_internal_dict(dataset, *, today) -> dict:
    """For the producer and the walidata (includes exempt fields, flagged)."""
    from .selectors import dataset_refresh_due_on
    due = dataset_refresh_due_on(dataset=dataset)
    return {
        "slug": dataset.slug, "layer_id": dataset.layer_id, "title": dataset.title,
        "description": dataset.description, "kind": dataset.kind,
        "producer": {"code": dataset.producer.code, "name": dataset.producer.name},
        "frequency": dataset.frequency, "licence": dataset.licence, "kip_class": dataset.kip_class,
        "legal_basis": dataset.legal_basis, "exemption_basis": dataset.exemption_basis or None,
        "reference_edition": dataset.reference_edition.slug,
        "published_version": dataset.published_version.number if dataset.published_version else None,
        "refresh_due_on": due, "refresh_due": bool(due and due <= today),
        "fields": [{"name": f.name, "type": f.type, "label": f.label, "exempt": f.exempt}
                   for f in dataset.fields.all()],
        "versions": [version_dict(v) for v in dataset.versions.all()],
    }
