from django.contrib.gis import admin

from .models import Dataset, DatasetField, DatasetVersion


class FieldInline(admin.TabularInline):
    model = DatasetField
    extra = 0
    fields = ["name", "type", "label", "exempt"]
    readonly_fields = ["name", "type"]


class VersionInline(admin.TabularInline):
    model = DatasetVersion
    extra = 0
    fields = ["number", "state", "original_name", "row_count", "uploaded_at", "reviewed_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "producer", "kind", "kip_class", "frequency", "published_version"]
    list_filter = ["kind", "kip_class", "frequency", "producer"]
    search_fields = ["slug", "title"]
    raw_id_fields = ["published_version", "created_by"]
    inlines = [FieldInline, VersionInline]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ["dataset", "number", "state", "row_count", "uploaded_at", "reviewed_at"]
    list_filter = ["state"]
    readonly_fields = ["report"]
