"""Rebuild the desa lookup cells (geo.models.AreaLookupCell) of every edition.

Needed only after GEO_NEAREST_TOLERANCE_M changes (the cells list the parts
within the tolerance); boundary writes keep the cells in step by themselves.
"""
from django.core.management.base import BaseCommand
from django.db import transaction

from geo.models import AreaLookupCell, Edition
from geo.services import lookup_cells_rebuild


class Command(BaseCommand):
    help = "Rebuild the desa lookup cells of every edition (after GEO_NEAREST_TOLERANCE_M changes)."

    def handle(self, *args, **o):
        for edition in Edition.objects.order_by("id"):
            with transaction.atomic():
                lookup_cells_rebuild(edition=edition)
            n = AreaLookupCell.objects.filter(edition=edition).count()
            self.stdout.write(f"edition {edition.slug}: {n} lookup cell rows")
