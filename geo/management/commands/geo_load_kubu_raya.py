from django.core.management.base import BaseCommand, CommandError

from geo.importers import kubu_raya


class Command(BaseCommand):
    help = ("Load Kubu Raya's code list, boundaries, agencies and service areas from KR_DATA_DIR. "
            "Dry run unless --commit; re-running loads nothing twice.")

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=None, help="Defaults to settings.KR_DATA_DIR.")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, **options):
        try:
            result = kubu_raya.run(data_dir=options["data_dir"], commit=options["commit"],
                                   progress=options["verbosity"] > 1)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        for problem in result.problems:
            self.stdout.write(f"  ! {problem}")
        summary = ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items()))
        mode = "committed" if result.committed else "dry run, nothing written (use --commit)"
        self.stdout.write(f"Kubu Raya: {summary} [{mode}]")
