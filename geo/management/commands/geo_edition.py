import datetime

from django.core.management.base import BaseCommand

from geo.models import Edition
from geo.services import edition_activate


class Command(BaseCommand):
    help = "Create (or update) an edition of the code list and boundaries; --activate makes it current."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--valid-from", required=True, type=datetime.date.fromisoformat)
        parser.add_argument("--source", default="")
        parser.add_argument("--licence", default="")
        parser.add_argument("--activate", action="store_true")

    def handle(self, *args, **o):
        edition, created = Edition.objects.update_or_create(
            slug=o["slug"], defaults={"name": o["name"], "valid_from": o["valid_from"],
                                      "source": o["source"], "licence": o["licence"]})
        if o["activate"]:
            previous = Edition.objects.filter(is_current=True).exclude(pk=edition.pk).first()
            if previous and previous.valid_to is None:
                previous.valid_to = o["valid_from"]
                previous.save(update_fields=["valid_to"])
            edition_activate(edition=edition)
        self.stdout.write(f"edition {edition.slug}: {'created' if created else 'updated'}"
                          f"{', current' if o['activate'] else ''}")
