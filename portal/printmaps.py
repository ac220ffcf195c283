"""Server-rendered map documents with folium (the design card's choice):
the planner's printable result and the printable dashboard. folium's
Leaflet comes from the project's vendored copy, not a CDN, so the documents
work offline and load nothing from third parties; no basemap unless
PORTAL_BASEMAP_URL is set."""
import folium
from django.conf import settings
from django.templatetags.static import static

KUBU_RAYA_CENTER = [-0.35, 109.45]


def folium_map(**kwargs) -> folium.Map:
    fmap = folium.Map(location=KUBU_RAYA_CENTER, zoom_start=9, tiles=None, control_scale=True, **kwargs)
    fmap.default_js = [("leaflet", static("portal/vendor/leaflet/leaflet.js"))]
    fmap.default_css = [("leaflet_css", static("portal/vendor/leaflet/leaflet.css"))]
    if settings.PORTAL_BASEMAP_URL:
        folium.TileLayer(settings.PORTAL_BASEMAP_URL, attr=settings.PORTAL_BASEMAP_ATTRIBUTION).add_to(fmap)
    return fmap


def choropleth_map(*, boundaries_geojson: str, values: dict, colour, title: str) -> str:
    """An embeddable (iframe) folium choropleth of areas by code; a value
    that is not a number (suppressed "<5") is drawn grey and dashed."""
    import json

    data = json.loads(boundaries_geojson)
    for feature in data["features"]:
        value = values.get(feature["properties"]["code"], "<5")
        feature["properties"]["value"] = str(value)
        numeric = isinstance(value, (int, float))
        feature["properties"]["_fill"] = colour(value) if numeric else "#dddddd"
        feature["properties"]["_dash"] = "" if numeric else "4 3"
    fmap = folium_map()
    layer = folium.GeoJson(
        data, name=title,
        style_function=lambda f: {"fillColor": f["properties"]["_fill"], "color": "#555", "weight": 1,
                                  "fillOpacity": 0.85, "dashArray": f["properties"]["_dash"]},
        tooltip=folium.GeoJsonTooltip(fields=["name", "value"], aliases=["", ""]))
    layer.add_to(fmap)
    bounds = layer.get_bounds()
    if bounds and bounds[0][0] is not None:
        fmap.fit_bounds(bounds)
    return fmap._repr_html_()
