"""Publication classes (domain.md 7.3), the public grid and small-count
suppression: the vocabulary of the publication policy, below every app (the
reports model declares its categories' class with it; layers.policy applies it)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

# Counts below this are published as "<5" (domain.md 7.5, proposal k = 5).
SMALL_COUNT_THRESHOLD = 5

# Public points of reports are snapped to this grid (degrees; 0.0005 deg is
# about 55 m x 55 m here, near the equator): a published point is a grid node,
# never the captured point (domain.md 5: "aggregated/obfuscated report map").
# Used by the public view (reports migration 0007) and the tile cells
# (tiles.aggregates); changing it means a migration and a cells rebuild.
PUBLIC_GRID_DEG = 0.0005


class PublicationClass(models.TextChoices):
    P0 = "P0", _("P0 Terbuka: lokasi, kategori, status terbuka")
    P1 = "P1", _("P1 Agregat: hanya jumlah per desa/kecamatan")
    P2 = "P2", _("P2 Internal: OPD penanganan dan pejabat wilayah")
    P3 = "P3", _("P3 Rahasia: perlu-tahu, akses dicatat")


# Published aggregates of reports are rounded to a multiple of this base
# (controlled rounding of the one stored base table, docs/layers.md).
ROUNDING_BASE = 5


def round_count(n: int) -> int:
    """A base cell's count as published: the nearest multiple of
    ROUNDING_BASE (1-2 -> 0, 3-7 -> 5, 8-12 -> 10). Every published aggregate
    of reports is a sum of these rounded base cells, never of raw counts."""
    return (int(n) + ROUNDING_BASE // 2) // ROUNDING_BASE * ROUNDING_BASE


ROUND_COUNT_SQL = f"(((%s) + {ROUNDING_BASE // 2}) / {ROUNDING_BASE}) * {ROUNDING_BASE}"


def suppress(count: int) -> int | str:
    """A count as it may be published: "<5" below the threshold. Zero is hidden
    too, so that an empty cell and a cell of one look alike."""
    return count if count >= SMALL_COUNT_THRESHOLD else f"<{SMALL_COUNT_THRESHOLD}"
