from django.apps import AppConfig


class PpidConfig(AppConfig):
    name = "ppid"
