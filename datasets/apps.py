from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"
    verbose_name = "Dataset OPD (Satu Data)"

    def ready(self):
        from layers import registry

        from .layers import dataset_layers

        # Published datasets become layers (OGC API, tiles, exports, open-data
        # page) through the registry's extension point.
        registry.register_provider(dataset_layers)
