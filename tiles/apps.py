from django.apps import AppConfig


class TilesConfig(AppConfig):
    name = "tiles"

    def ready(self):
        from tiles import receivers

        receivers.connect()
