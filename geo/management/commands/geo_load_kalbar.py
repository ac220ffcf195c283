from django.core.management.base import BaseCommand, CommandError

from geo.importers import kalbar


class Command(BaseCommand):
    help = ("Load kabupaten/kota of West Kalimantan (codes, boundaries, regency outlines) from "
            "../shared/data/kalbar (KR_KALBAR_DIR). Dry run unless --commit; re-running loads nothing twice.")

    def add_arguments(self, parser):
        parser.add_argument("regencies", nargs="*", metavar="CODE",
                            help="e.g. 61.71 61.72; all 14 when none is given.")
        parser.add_argument("--data-dir", default=None)
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, **options):
        try:
            result = kalbar.run(regencies=options["regencies"] or None, data_dir=options["data_dir"],
                                commit=options["commit"], progress=options["verbosity"] > 1)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for problem in result.problems:
            self.stdout.write(f"  ! {problem}")
        summary = ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items()))
        mode = "committed" if result.committed else "dry run, nothing written (use --commit)"
        self.stdout.write(f"Kalimantan Barat: {summary} [{mode}]")
