from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"

    def ready(self):
        # The precomputed report counts go stale when a report changes.
        from reports.signals import report_changed

        from .services import report_counts_mark_dirty

        report_changed.connect(report_counts_mark_dirty, dispatch_uid="layers_report_counts_dirty")
