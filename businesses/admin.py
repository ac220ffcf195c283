from django.contrib.gis import admin

from .models import Business, BusinessAudit, BusinessConsent, Certificate, KbliCode


class CertificateInline(admin.TabularInline):
    model = Certificate
    extra = 0


class ConsentInline(admin.TabularInline):
    model = BusinessConsent
    extra = 0


@admin.register(Business)
class BusinessAdmin(admin.GISModelAdmin):
    list_display = ["name", "sector", "scale", "desa", "status", "verification_status", "is_synthetic"]
    list_filter = ["sector", "scale", "status", "verification_status", "is_synthetic"]
    search_fields = ["name", "nib"]
    raw_id_fields = ["owner", "desa", "kecamatan", "verified_by"]
    readonly_fields = ["search_text", "public_location", "public_location_exact", "numbers_public"]
    inlines = [CertificateInline, ConsentInline]


@admin.register(KbliCode)
class KbliCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "edition", "title", "sector", "is_food"]
    list_filter = ["edition", "sector", "is_food"]


@admin.register(BusinessAudit)
class BusinessAuditAdmin(admin.ModelAdmin):
    list_display = ["business", "action", "actor", "created_at"]
    readonly_fields = ["business", "actor", "action", "changes", "created_at"]
