from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = "Residents (warga): accounts, following, updates"

    def ready(self):
        from reports.signals import report_event_created

        from . import services

        from common import outbox

        report_event_created.connect(services.on_report_event, dispatch_uid="residents-report-updates")
        outbox.register(services.UPDATE_KIND, services.update_deliver)
