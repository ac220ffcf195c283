"""Remind PPID officers (and the atasan PPID) of deadlines due soon or passed.

Dry run by default; schedule daily with --commit (one reminder per deadline
per day, however often it runs)."""
import datetime

from django.core.management.base import BaseCommand

from ppid.services import reminders_send


class Command(BaseCommand):
    help = "E-mail reminders of information-request and objection deadlines (dry run without --commit)."

    def add_arguments(self, parser):
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--within", type=int, default=2, help="Working days ahead (default 2).")
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, commit, within, today, **options):
        sent = reminders_send(today=today, within_working_days=within, commit=commit)
        for entry in sent:
            self.stdout.write(f"{entry['kind']} {entry['number']} due {entry['due_on']} -> "
                              f"{entry['recipients']} recipient(s)")
        self.stdout.write(f"{len(sent)} reminder(s) {'sent' if commit else 'would be sent (dry run)'}")
