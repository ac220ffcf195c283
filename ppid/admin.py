from django.contrib import admin

from .models import InformationRequest, Objection, PublicDocument


class ObjectionInline(admin.TabularInline):
    model = Objection
    extra = 0
    fields = ["registration_number", "ground", "filed_on", "due_on", "decision", "responded_on",
              "dispute_filed_on"]
    readonly_fields = ["registration_number", "filed_on", "due_on"]


@admin.register(InformationRequest)
class InformationRequestAdmin(admin.ModelAdmin):
    list_display = ["registration_number", "agency", "received_on", "due_on", "extended_due_on", "status",
                    "decision"]
    list_filter = ["status", "decision", "agency"]
    search_fields = ["registration_number"]
    readonly_fields = ["registration_number", "received_at", "received_on", "due_on", "extended_due_on"]
    raw_id_fields = ["requester", "decided_by"]
    # The requester identity is not shown here: it is P3 personal data, read
    # by the handling PPID in the workspace (/ppid/petugas/), not by admins.
    inlines = [ObjectionInline]


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["registration_number", "request", "ground", "filed_on", "due_on", "decision"]
    list_filter = ["decision", "ground"]
    raw_id_fields = ["request", "responded_by"]


@admin.register(PublicDocument)
class PublicDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "kip_class", "agency", "period", "is_listed"]
    list_filter = ["kip_class", "is_listed"]
    search_fields = ["title"]
