"""Print the Pasal 12 annual report of a year as JSON (the same document as
/api/v1/ppid/annual-report/<year>/; no personal data)."""
import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from ppid.policy import annual_report_public


class Command(BaseCommand):
    help = "Print the UU 14/2008 Pasal 12 annual report of a year as JSON."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)

    def handle(self, *args, year, **options):
        report = annual_report_public(year=year, today=timezone.localdate())
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
