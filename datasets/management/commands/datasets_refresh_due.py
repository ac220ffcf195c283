"""List published berkala datasets due for refresh (6 months after their last
approval, UU 14/2008 Pasal 9); with --commit, e-mail their producers the
reminders due today (the beat task datasets.refresh_reminders does the same
hourly; each reminder is sent once)."""
import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from datasets.selectors import dataset_refresh_due_on, datasets_due_for_refresh
from datasets.services import refresh_reminders_send


class Command(BaseCommand):
    help = "List berkala datasets whose 6-month refresh is due; --commit sends the reminders."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args, today, commit, **options):
        today = today or timezone.localdate()
        due = datasets_due_for_refresh(today=today)
        for dataset in due:
            due_on = dataset_refresh_due_on(dataset=dataset)
            self.stdout.write(f"{dataset.slug}\t{dataset.producer.name}\tdue {due_on}")
        self.stdout.write(f"{len(due)} dataset(s) due for refresh")
        sent = refresh_reminders_send(today=today, commit=commit)
        for entry in sent:
            self.stdout.write(f"{entry['kind']} {entry['slug']} due {entry['due_on']} -> "
                              f"{entry['recipients']} recipient(s)")
        self.stdout.write(f"{len(sent)} reminder(s) {'sent' if commit else 'would be sent (dry run)'}")
