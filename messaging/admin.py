from django.contrib import admin

from .models import SentMessage, SimulatedMessage


@admin.register(SentMessage)
class SentMessageAdmin(admin.ModelAdmin):
    list_display = ("channel", "to", "key", "gateway", "sent_at")
    list_filter = ("channel",)


@admin.register(SimulatedMessage)
class SimulatedMessageAdmin(admin.ModelAdmin):
    list_display = ("channel", "to", "created_at")
    list_filter = ("channel",)
