"""The configuration of the Leaflet maps, built from settings, the layer
registry and the statuses; the browser draws it (portal/static/portal/js).

The page never ships report or business features itself: points come from
the vector tiles (/tiles/<layer>/...) at street zoom, and below that only
counts per desa, so /peta/ stays light with 1,000,000 reports.
"""
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Report statuses (reports contract) with their legend colour.
STATUSES = [
    ("received", _("Diterima"), "#6c757d"),
    ("verified", _("Diverifikasi"), "#1f78b4"),
    ("dispatched", _("Didisposisi"), "#6a3d9a"),
    ("in_progress", _("Diproses"), "#ff7f00"),
    ("resolved", _("Selesai"), "#33a02c"),
    ("rejected", _("Ditolak"), "#b15928"),
    ("not_our_authority", _("Bukan wewenang"), "#a6a6a6"),
    ("merged", _("Digabung"), "#cab2d6"),
]
STATUS_LABELS = {code: label for code, label, _colour in STATUSES}

# Choropleth classes of P1 counts per desa (suppressed "<5" has its own class).
CHOROPLETH_BREAKS = [5, 10, 25, 50, 100]
CHOROPLETH_COLOURS = ["#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15"]


# Colour map of a raster overlay by kind (rio-tiler names).
RASTER_COLORMAPS = {"density": "ylorrd", "registered": "viridis"}


def rasters_offered() -> list[dict]:
    """The raster overlays of /peta/: only rasters whose tiles exist (their
    COG is on disk), with their bounds so the map asks no tile outside."""
    from tiles.selectors import rasters_offered as offered

    return [{"name": r.name, "title": r.title or r.name, "unit": r.unit, "attribution": r.attribution,
             "bounds": [[r.south, r.west], [r.north, r.east]],
             "tilejson": f"/tiles/raster/{r.name}.json",
             "url": f"/tiles/raster/{r.name}/{{z}}/{{x}}/{{y}}.png?colormap_name={RASTER_COLORMAPS.get(r.kind, 'viridis')}"}
            for r in offered()]


def _tile_url(layer_id: str) -> str:
    return f"/tiles/{layer_id}/{{z}}/{{x}}/{{y}}.mvt"


def map_config(*, kind: str = "peta") -> dict:
    """JSON-ready configuration of the public map (kind "peta") or of the
    small map of the report form (kind "lapor")."""
    config = {
        "kind": kind,
        "basemap": {"url": settings.PORTAL_BASEMAP_URL, "attribution": settings.PORTAL_BASEMAP_ATTRIBUTION},
        # Kubu Raya straddles the equator: lon 109.0-109.9, lat -1.0-0.2.
        "center": [-0.35, 109.45],
        "zoom": 9,
        "boundaries": {
            "desa": reverse("portal:peta-wilayah", args=["desa"]),
            "kecamatan": reverse("portal:peta-wilayah", args=["kecamatan"]),
        },
        "labels": {
            "desa": str(_("Batas desa")), "kecamatan": str(_("Batas kecamatan")),
            "reports": str(_("Laporan publik")), "report_counts": str(_("Jumlah laporan per desa")),
            "choropleth": str(_("Laporan agregat (P1) per desa")), "businesses": str(_("UMKM")),
            "legend": str(_("Legenda")), "locate": str(_("Lokasi saya")), "search": str(_("Cari")),
            "search_placeholder": str(_("Cari desa atau nama usaha")), "no_results": str(_("Tidak ditemukan")),
            "locate_failed": str(_("Lokasi tidak tersedia")), "products": str(_("Produk")),
            "contact": str(_("Kontak")), "status": str(_("Status")), "category": str(_("Kategori")),
            "suppressed": str(_("kurang dari 5 (disamarkan)")), "you_are_here": str(_("Anda di sini")),
            "zoom_in_for_points": str(_("Perbesar untuk melihat titik laporan")),
        },
        "statuses": [{"code": c, "label": str(label), "color": colour} for c, label, colour in STATUSES],
        "points_min_zoom": settings.PORTAL_POINTS_MIN_ZOOM,
        "search_url": reverse("portal:peta-cari"),
        # /lapor/: a tap below this zoom asks to zoom in instead of placing the point
        "tap_min_zoom": 14,
    }
    if kind == "lapor":
        # the form draws outlines only: encoded polylines, half the bytes of the GeoJSON
        config["outlines"] = reverse("portal:peta-wilayah-garis", args=["desa"])
        # drawn first (the opening zoom's picture in a third of the bytes), then replaced by the above
        config["outlines_coarse"] = config["outlines"] + "?kasar=1"
    if kind == "peta":
        # drawn first (preloaded), the GeoJSON above replaces them once the map has drawn
        config["outlines_coarse"] = {
            level: reverse("portal:peta-wilayah-garis", args=[level]) + "?kasar=1" for level in ("desa", "kecamatan")}
        config.update({
            "tiles": {"reports": _tile_url("reports"), "businesses": _tile_url("businesses")},
            "counts_url": reverse("portal:peta-jumlah"),
            "rasters": rasters_offered(),
            "choropleth": {"breaks": CHOROPLETH_BREAKS, "colors": CHOROPLETH_COLOURS},
        })
    return config
