from django.contrib import admin

from .models import Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "area", "valid_from", "valid_to"]
    list_filter = ["role"]
    raw_id_fields = ["user", "area"]
