from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    name = "announcements"
    verbose_name = "Pengumuman dan peringatan"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from layers import registry

        from .layers import announcement_layers

        # Active announcements are an OGC API collection through the registry.
        registry.register_provider(announcement_layers)

        from common import outbox
        from reports.signals import report_changed

        from .services import OUTBOX_KIND, outbox_deliver

        outbox.register(OUTBOX_KIND, outbox_deliver)

        from .sertamerta import on_report_changed

        # Informasi serta-merta: a verified report in a serta_merta category
        # offers its agency a prefilled warning (no change to reports.services).
        report_changed.connect(on_report_changed, dispatch_uid="announcements-serta-merta")

        from .alerts import on_report_changed as alerts_on_report_changed

        # FixMyStreet-style alerts: new public reports near subscribers, changes of a followed report.
        report_changed.connect(alerts_on_report_changed, dispatch_uid="announcements-report-alerts")
