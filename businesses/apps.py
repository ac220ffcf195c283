from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    name = "businesses"

    def ready(self):
        from geo import reassign

        from .models import Business
        from .services import businesses_reassigned

        reassign.register_point_table(Business, on_reassigned=businesses_reassigned)
