"""List published berkala datasets due for refresh (6 months after their last
approval, UU 14/2008 Pasal 9); schedule it with the reminders."""
import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from datasets.selectors import dataset_refresh_due_on, datasets_due_for_refresh


class Command(BaseCommand):
    help = "List berkala datasets whose 6-month refresh is due."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, today, **options):
        due = datasets_due_for_refresh(today=today or timezone.localdate())
        for dataset in due:
            due_on = dataset_refresh_due_on(dataset=dataset)
            self.stdout.write(f"{dataset.slug}\t{dataset.producer.name}\tdue {due_on}")
        self.stdout.write(f"{len(due)} dataset(s) due for refresh")
