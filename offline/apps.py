from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "offline"
    verbose_name = "Offline app (installable, queued field actions)"
    default_auto_field = "django.db.models.BigAutoField"
