"""Administrative areas, their boundaries, and the agencies that serve them.

Identity lives apart from geometry (as in MapIt): an `Area` exists whether or
not it has a boundary (6 of Kubu Raya's 123 desa have none), and its parent is
taken from the Kemendagri code hierarchy, never from geometry.

An `Edition` is one published code list and boundary set (MapIt's
Generation). Exactly one edition is current at a time; point lookups use the
current edition, and older editions are kept so that old reports still resolve.
"""
from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex

from common.regency import regency_field, regency_generated

STORAGE_SRID = settings.GEO_STORAGE_SRID  # EPSG:4326, lon/lat


class Edition(models.Model):
    slug = models.SlugField(unique=True, help_text="Stable id, e.g. kepmendagri-2025.")
    name = models.CharField(max_length=200, help_text="e.g. Kepmendagri 300.2.2-2138/2025.")
    source = models.TextField(blank=True)
    licence = models.TextField(blank=True, help_text="Licence notice that travels with the data.")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    is_current = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True),
                                    name="geo_edition_one_current"),
        ]

    def __str__(self):
        return self.name


class Area(models.Model):
    class Level(models.TextChoices):
        KABUPATEN = "kabupaten", "Kabupaten"
        KECAMATAN = "kecamatan", "Kecamatan"
        DESA = "desa", "Desa"
        # Local units below the desa: no national code; created by desa operators
        # with codes scoped to their desa, e.g. 61.12.01.2001/RW-03/RT-007.
        DUSUN = "dusun", "Dusun"
        RW = "rw", "RW"
        RT = "rt", "RT"

    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="areas")
    code = models.CharField(max_length=40, help_text="Kemendagri code, e.g. 61.12.01.2001.")
    name = models.CharField(max_length=100)
    level = models.CharField(max_length=9, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, related_name="children",
                               on_delete=models.PROTECT,
                               help_text="Taken from the code hierarchy, never from geometry.")
    population = models.PositiveIntegerField(null=True, blank=True)
    population_source = models.CharField(max_length=200, blank=True)
    source_centroid = models.PointField(srid=STORAGE_SRID, null=True, blank=True,
                                        help_text="Centroid given by the code list (EPSG:4326).")
    regency_code = regency_generated()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "code"], name="geo_area_code_per_edition"),
        ]
        indexes = [models.Index(fields=["level", "edition"])]

    def __str__(self):
        return f"{self.code} {self.name}"

    @staticmethod
    def parent_code_of(code: str) -> str | None:
        """61.12.01.2001 -> 61.12.01; 61.12.01.2001/RW-03 -> 61.12.01.2001; 61.12 -> 61."""
        if "/" in code:
            return code.rsplit("/", 1)[0]
        return code.rsplit(".", 1)[0] if "." in code else None


class AreaBoundary(models.Model):
    area = models.OneToOneField(Area, related_name="boundary", on_delete=models.CASCADE)
    geom = models.MultiPolygonField(
        srid=STORAGE_SRID, help_text="EPSG:4326 (lon, lat); a Polygon is stored as a one-part MultiPolygon.")
    simple_geom = models.MultiPolygonField(
        srid=STORAGE_SRID, help_text="Simplified copy for display (GEO_SIMPLIFY_TOLERANCE).")
    area_km2 = models.FloatField(help_text="Geodesic area on the WGS84 ellipsoid.")
    source = models.CharField(max_length=300, blank=True)
    was_repaired = models.BooleanField(default=False, help_text="Made valid with ST_MakeValid on import.")
    updated_at = models.DateTimeField(auto_now=True)
    regency_code = regency_field()
    regency_from = "area"


class AreaPart(models.Model):
    """ST_Subdivide pieces of a boundary, kept in step by geo.services.

    Point lookup queries these small pieces instead of the whole polygon (Batu
    Ampar alone has 2,555 vertices). `edition`, `level` and `code` are copied
    from the area so that the bulk lookup needs no join.
    """

    area = models.ForeignKey(Area, related_name="parts", on_delete=models.CASCADE)
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=9, choices=Area.Level.choices)
    code = models.CharField(max_length=40)
    regency_code = regency_generated()
    # No b-tree index on (edition, level): with one, the planner filtered every
    # desa part by ST_Covers (406 per point) instead of probing the GiST index
    # on geom; at 1,000,000 points that was 100x slower (docs/benchmarks.md).
    geom = models.PolygonField(srid=STORAGE_SRID)


# Side of a lookup-grid cell in degrees (about 555 m). Cells are aligned to
# (0, 0): cell (i, j) spans lon [i * size, (i + 1) * size], lat likewise, so a
# point finds its cell by arithmetic alone. Changing it needs a migration that
# rebuilds the cells (geo.services.lookup_cells_rebuild).
LOOKUP_CELL_DEG = 0.005


class AreaLookupCell(models.Model):
    """The desa lookup grid: for each square cell near a desa, the candidates.

    Derived from the desa parts of one edition and kept in step by
    geo.services (area_set_boundary refreshes the cells around a changed
    boundary). A cell that one desa covers entirely, with no other desa
    touching it, has one row with `part` null: every point in it belongs to
    that desa without a geometry test. Any other cell has one row per desa
    part within the nearest-desa tolerance of the cell, the only parts a
    point in the cell can be covered by or be nearest to. A cell without
    rows is further than the tolerance from every desa (outside coverage).
    The bulk assigner joins points to cells by (i, j) with a hash join
    instead of probing the GiST index once per point (docs/benchmarks.md).
    """

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="+")
    i = models.IntegerField(help_text="floor(lon / LOOKUP_CELL_DEG)")
    j = models.IntegerField(help_text="floor(lat / LOOKUP_CELL_DEG)")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40, help_text="The desa's code, for the edge rule without a join.")
    regency_code = regency_generated()
    part = models.ForeignKey(AreaPart, null=True, on_delete=models.CASCADE, related_name="+",
                             help_text="Null: the desa covers the whole cell.")

    class Meta:
        indexes = [models.Index(fields=["edition", "i", "j"], name="geo_lookupcell_ij")]


class Agency(models.Model):
    """An OPD (dinas, badan), a UPT such as a Puskesmas, a kecamatan office, or an
    outside body reports are referred to (police, UPTD PPA)."""

    class Kind(models.TextChoices):
        DINAS = "dinas", "Dinas"
        BADAN = "badan", "Badan"
        UPT = "upt", "UPT / Puskesmas"
        KECAMATAN = "kecamatan", "Kantor Kecamatan"
        SATUAN = "satuan", "Satuan / Inspektorat / Sekretariat"
        BUMD = "bumd", "BUMD"
        EXTERNAL = "external", "Instansi di luar Pemkab"

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=50, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="units")
    is_coordinator = models.BooleanField(
        default=False, help_text="Admin Koordinator: triage, dispatch, re-route (Diskominfo).")
    email = models.EmailField(blank=True)
    webhook_url = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)
    # The regency the agency serves (agencies of other regencies: geo.templates).
    regency_code = regency_field()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.name


class ServiceArea(models.Model):
    """Where an agency works: a geometry, or a list of area codes (a Puskesmas
    working area is a set of desa), or both (the union)."""

    agency = models.ForeignKey(Agency, related_name="service_areas", on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    area_codes = ArrayField(models.CharField(max_length=40), default=list, blank=True,
                            help_text="Kemendagri codes (any level); resolved in the current edition.")
    geom = models.MultiPolygonField(srid=STORAGE_SRID, null=True, blank=True)
    regency_code = regency_field()
    regency_from = "agency"

    class Meta:
        ordering = ["agency__code", "name"]
        indexes = [GinIndex(fields=["area_codes"], name="geo_servicearea_codes_gin")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(geom__isnull=False) | ~models.Q(area_codes=[]),
                name="geo_servicearea_defined"),
        ]

    def __str__(self):
        return self.name


class ServiceAreaPart(models.Model):
    """ST_Subdivide pieces of a geometry-defined service area."""

    service_area = models.ForeignKey(ServiceArea, related_name="parts", on_delete=models.CASCADE)
    geom = models.PolygonField(srid=STORAGE_SRID)
    regency_code = regency_field()
    regency_from = "service_area"


class RegencyOutline(models.Model):
    """The outline of each loaded kabupaten/kota, subdivided (one row per piece), for
    "pick the regency first, then the desa" (geo.regency.regency_at).

    Small and the same for every regency: on Citus it is a reference table,
    copied to every node (docs/scaling.md). Filled by geo_load_kalbar.
    """

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40, help_text="Kabupaten/kota code, e.g. 61.12.")
    name = models.CharField(max_length=100)
    geom = models.PolygonField(srid=STORAGE_SRID)

    class Meta:
        indexes = [models.Index(fields=["edition", "code"], name="geo_regencyoutline_code")]
