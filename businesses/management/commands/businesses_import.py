from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from businesses.importers import spreadsheet
from businesses.models import KbliEdition, ScaleRule


class Command(BaseCommand):
    help = ("Import businesses from a CSV or XLSX sheet. Dry run by default (report only); --commit writes, "
            "and only when every row is valid unless --skip-invalid.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--map", dest="mapping", default="",
                            help="header=field pairs, comma-separated, e.g. 'Nama UMKM=name,X=lon,Y=lat'. "
                                 f"Fields: {', '.join(spreadsheet.FIELDS)}.")
        parser.add_argument("--sheet", help="XLSX worksheet name (default: the first).")
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--skip-invalid", action="store_true", help="Write the valid rows, skip the others.")
        parser.add_argument("--kbli-edition", default=KbliEdition.KBLI_2020, choices=KbliEdition.values)
        parser.add_argument("--scale-rule", default=ScaleRule.PP_7_2021, choices=ScaleRule.values,
                            help="uu20_2008 only for legacy sheets classified under UU 20/2008.")

    def handle(self, *args, path, mapping, sheet, commit, skip_invalid, kbli_edition, scale_rule, **options):
        if not path.exists():
            raise CommandError(f"{path} not found")
        try:
            mapping = spreadsheet.parse_mapping(mapping)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        bars = []

        def progress_factory(total, label):
            bar = tqdm(total=total, desc=label, unit="baris", disable=options["verbosity"] < 1)
            bars.append(bar)
            return bar.update

        result = spreadsheet.run(path=path, mapping=mapping, sheet=sheet, commit=commit, skip_invalid=skip_invalid,
                                 kbli_edition=kbli_edition, scale_rule=scale_rule,
                                 progress_factory=progress_factory)
        for bar in bars:
            bar.close()
        for p in result.problems:
            self.stdout.write(f"line {p.line}: {p.code}: {p.message}")
        invalid = len(result.invalid_lines)
        if result.committed:
            state = f"written {result.written}" + (f", skipped {invalid} invalid" if invalid else "")
        elif commit:
            state = "nothing written: fix the rows above or use --skip-invalid"
        else:
            state = "dry run, nothing written (use --commit)"
        self.stdout.write(f"rows {result.total}, valid {result.valid}, invalid {invalid}: {state}")
