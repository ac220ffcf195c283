"""tiles_cache warm --layers desa,kecamatan --zooms 0-12 | tiles_cache purge [--layer ID]"""
from django.core.management.base import BaseCommand, CommandError

from tiles import cache, services, sources


class Command(BaseCommand):
    help = "Warm the server-side tile cache for some layers and zooms, or purge it."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["warm", "purge"])
        parser.add_argument("--layers", default="", help="Comma-separated layer ids (warm: default all polygon "
                                                         "layers; purge: only these layers' tiles).")
        parser.add_argument("--zooms", default="0-12", help="Zoom range to warm, e.g. 0-12.")

    def handle(self, *args, action, layers, zooms, **options):
        ids = [i for i in layers.split(",") if i]
        if action == "purge":
            if ids:
                for layer_id in ids:
                    cache.tiles_invalidate_layer(layer_id)
                self.stdout.write(f"purged: {', '.join(ids)} (new data version)")
            else:
                self.stdout.write(f"purged: {cache.tiles_purge()} entries")
            return
        try:
            low, _, high = zooms.partition("-")
            min_zoom, max_zoom = int(low), int(high or low)
        except ValueError:
            raise CommandError("--zooms is like 0-12")
        if not ids:
            ids = [layer.id for layer in sources.layers_public() if layer.geometry_type not in ("Point",)]
        try:
            counts = services.cache_warm(layer_ids=ids, min_zoom=min_zoom, max_zoom=max_zoom,
                                         stdout=self.stdout if options["verbosity"] > 1 else None)
        except ValueError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"warmed: {counts['tiles']} tiles ({counts['empty']} empty) of {', '.join(ids)}")
