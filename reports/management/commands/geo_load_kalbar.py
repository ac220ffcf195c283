# In reports, not geo: besides the boundaries and agencies (geo), it seeds each
# regency's routing rules (reports.services), and reports sits above geo.
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from geo.importers import kalbar
from geo.regency_agencies import regency_agencies_create
from reports.services import regency_rules_seed


class Command(BaseCommand):
    help = ("Load kabupaten/kota of West Kalimantan (codes, boundaries, regency outlines) from "
            "../shared/data/kalbar (KR_KALBAR_DIR), and the agencies and routing rules of each regency other "
            "than the deployment's own from the template (geo.regency_agencies). Dry run unless --commit; "
            "re-running loads nothing twice.")

    def add_arguments(self, parser):
        parser.add_argument("regencies", nargs="*", metavar="CODE",
                            help="e.g. 61.71 61.72; all 14 when none is given.")
        parser.add_argument("--data-dir", default=None)
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--no-agencies", action="store_true", help="Boundaries only, no template agencies.")

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
        if result.committed and not options["no_agencies"]:
            for code in options["regencies"] or kalbar.REGENCIES:
                if code == settings.KR_REGENCY_CODE:
                    continue  # the deployment's own agencies come from its seed (geo_load_kubu_raya)
                counts = regency_agencies_create(regency_code=code)
                counts.update(regency_rules_seed(regency_code=code))
                self.stdout.write(f"{code}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        self.stdout.write(f"Kalimantan Barat: {summary} [{mode}]")
