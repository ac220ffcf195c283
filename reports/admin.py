"""Admin for the taxonomy and routing rules only: reports and personal data
are read through the API, where access is checked and logged (a superuser
gets no default access to confidential content)."""
from django.contrib import admin

from .models import Category, Open311Key, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "name_id", "publication_class", "default_agency", "target_days", "is_active"]
    list_filter = ["publication_class", "is_active"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "service_area", "agency", "is_active"]
    list_filter = ["category"]


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]
    exclude = []
