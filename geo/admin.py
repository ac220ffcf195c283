from django.contrib.gis import admin

from .models import Agency, Area, Edition, ServiceArea


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "valid_from", "valid_to", "is_current"]


@admin.register(Area)
class AreaAdmin(admin.GISModelAdmin):
    list_display = ["code", "name", "level", "parent", "edition"]
    list_filter = ["level", "edition"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "is_coordinator"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.GISModelAdmin):
    list_display = ["name", "agency"]
    search_fields = ["name", "agency__name"]
