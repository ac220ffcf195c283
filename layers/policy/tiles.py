"""What of the reports the tiles may publish from their precomputed cells
(tiles.aggregates), and which categories may have a density surface.

The cells count every report; these rules keep exactly the rows of the
public view `reports_public_report` (P0, not confidential, not rejected or
merged), which `reports.policy.reports_public()` publishes as points,
so a cluster at zoom 8 never counts a report that is hidden at zoom 16. The
cells sum the snapped public points (tiles.aggregates._rows). A test compares
the two (tests/tiles/test_reports_tiles.py).
"""
from common.publication import PublicationClass

def report_cells_public_where(alias: str) -> tuple[list[str], list]:
    """SQL conditions (and their parameters) on tiles_reportcell rows."""
    from reports.policy import HIDDEN_STATUSES  # the one definition

    return (
        [f"{alias}.category_id IN (SELECT id FROM reports_category WHERE publication_class = %s)",
         f"{alias}.status <> ALL(%s)", f"NOT {alias}.confidential"],
        [PublicationClass.P0.value, [str(s) for s in HIDDEN_STATUSES]],
    )


def point_category_codes() -> list[str]:
    """Categories published as points (P0): the only ones with a density
    surface, since a surface still shows where a lone report was."""
    from reports.models import Category

    return sorted(set(Category.objects.filter(publication_class=PublicationClass.P0)
                      .values_list("code", flat=True)))
