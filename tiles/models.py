"""Tiles' own data: precomputed report clusters and registered rasters."""
from django.db import models


class ReportCell(models.Model):
    """Reports in one grid cell of one zoom, per category, status and
    confidentiality (see tiles.aggregates). Internal: the tile statement
    filters it through layers.policy.tiles before anything is published.
    Kept current by triggers on reports_report, in the writing transaction;
    a cell may have several rows (appended changes) until compacted: readers
    sum them."""

    z = models.SmallIntegerField()
    cx = models.IntegerField(help_text="Cell column from the west edge of the Web Mercator world.")
    cy = models.IntegerField(help_text="Cell row from the north edge (same direction as tile y).")
    category_id = models.BigIntegerField()
    status = models.CharField(max_length=32)
    confidential = models.BooleanField()
    n = models.IntegerField(help_text="Number of reports.")
    sum_x = models.FloatField(help_text="Sum of EPSG:3857 x of the reports (metres).")
    sum_y = models.FloatField(help_text="Sum of EPSG:3857 y of the reports (metres).")

    class Meta:
        indexes = [
            models.Index(fields=["z", "cx", "cy", "category_id", "status", "confidential"],
                         name="tiles_reportcell_cell"),
        ]


class Raster(models.Model):
    """A Cloud-Optimised GeoTIFF served as raster tiles: registered from a
    GeoTIFF the regency holds (hazard, elevation) or computed here (report
    density per category)."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", "Registered GeoTIFF"
        DENSITY = "density", "Report density"

    name = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.REGISTERED)
    path = models.CharField(max_length=500, help_text="The COG, under TILES_RASTER_DIR.")
    source = models.CharField(max_length=500, blank=True, help_text="The file it was made from.")
    crs = models.CharField(max_length=100)
    west = models.FloatField(help_text="Bounds in EPSG:4326 (degrees).")
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    nodata = models.FloatField(null=True, blank=True)
    dtype = models.CharField(max_length=20)
    band_count = models.PositiveSmallIntegerField()
    minimum = models.FloatField(null=True, blank=True, help_text="Band 1 minimum (valid pixels).")
    maximum = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    attribution = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
