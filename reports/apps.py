from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from geo import reassign

        from . import notifications
        from .models import Report
        from .services import reports_reassigned

        notifications.outbox_register()
        reassign.register_point_table(Report, on_reassigned=reports_reassigned)
