from django.core.management.base import BaseCommand, CommandError

from geo.importers import ogr
from geo.models import Area, Edition


class Command(BaseCommand):
    help = ("Import areas and boundaries from an OGR source (GeoJSON, GeoPackage, Shapefile). "
            "Dry run unless --commit.")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--edition", required=True, help="Edition slug (must exist, see geo_edition).")
        parser.add_argument("--level", required=True, choices=Area.Level.values)
        parser.add_argument("--code-field", default="code")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--layer", default="0", help="Layer name or index.")
        parser.add_argument("--commit", action="store_true", help="Write; otherwise a dry run.")

    def handle(self, *args, **options):
        edition = Edition.objects.filter(slug=options["edition"]).first()
        if edition is None:
            raise CommandError(f"no edition {options['edition']!r}; create it with geo_edition")
        layer = int(options["layer"]) if options["layer"].isdigit() else options["layer"]
        try:
            result = ogr.run(path=options["path"], edition=edition, level=options["level"],
                             code_field=options["code_field"], name_field=options["name_field"],
                             layer=layer, commit=options["commit"], progress=options["verbosity"] > 0)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for problem in result.problems:
            self.stdout.write(f"  ! {problem}")
        mode = "committed" if result.committed else "dry run, nothing written (use --commit)"
        self.stdout.write(f"{options['path']}: {result.summary()} [{mode}]")
