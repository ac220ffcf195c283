/* The planner's map: draw a polygon (tap the corners, tap the first one or
   "Selesai" to close) or a point for a buffer; the drawn GeoJSON goes into
   the form's hidden `geometry` field. The result (area, hotspots, features)
   is drawn from the page's JSON. No drawing library: a few dozen lines. */
(function () {
  "use strict";
  var cfg = KR.config("map-config");
  var map = KR.map = KR.baseMap("planner-map", cfg).map;
  var input = document.getElementById("geometry"), status = document.getElementById("draw-status");
  var mode = null, vertices = [], shape = null, markers = L.layerGroup().addTo(map);

  function setGeometry(geojson) { input.value = geojson ? JSON.stringify(geojson) : ""; }
  function clear() {
    vertices = []; markers.clearLayers();
    if (shape) { map.removeLayer(shape); shape = null; }
  }
  function redraw() {
    if (shape) map.removeLayer(shape);
    shape = vertices.length >= 2 ? L.polygon(vertices, {color: "#0d4f8b"}).addTo(map) : null;
    if (vertices.length >= 3) {
      var ring = vertices.map(function (v) { return [+v.lng.toFixed(6), +v.lat.toFixed(6)]; });
      ring.push(ring[0]);
      setGeometry({type: "Polygon", coordinates: [ring]});
      status.textContent = vertices.length + " titik sudut";
    }
  }
  map.on("click", function (e) {
    if (mode === "polygon") {
      vertices.push(e.latlng);
      L.circleMarker(e.latlng, {radius: 4}).addTo(markers);
      redraw();
    } else if (mode === "point") {
      clear();
      L.circleMarker(e.latlng, {radius: 6, color: "#b00020"}).addTo(markers);
      setGeometry({type: "Point", coordinates: [+e.latlng.lng.toFixed(6), +e.latlng.lat.toFixed(6)]});
      var buffer = document.getElementById("buffer_m");
      if (!buffer.value) buffer.value = 500;
      status.textContent = "Titik dipilih";
    }
  });
  document.getElementById("draw-polygon").addEventListener("click", function () {
    clear(); setGeometry(null); mode = "polygon"; status.textContent = "Ketuk sudut-sudut area di peta";
  });
  document.getElementById("draw-point").addEventListener("click", function () {
    clear(); setGeometry(null); mode = "point"; status.textContent = "Ketuk satu titik di peta";
  });
  document.getElementById("draw-clear").addEventListener("click", function () {
    clear(); setGeometry(null); mode = null; status.textContent = "";
  });

  var data = document.getElementById("planner-result-data");
  var result = data ? JSON.parse(data.textContent) : null;
  if (result && result.area) {
    var area = L.geoJSON(result.area, {style: {color: "#0d4f8b", weight: 2, fillOpacity: 0.05}}).addTo(map);
    L.geoJSON({type: "FeatureCollection", features: result.hotspots || []},
              {style: {color: "#b00020", weight: 2, fillOpacity: 0.3}}).addTo(map);
    L.geoJSON({type: "FeatureCollection", features: result.features || []}, {
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, {radius: 4, color: "#1f78b4"}); }
    }).addTo(map);
    map.fitBounds(area.getBounds(), {padding: [20, 20]});
  }
  document.documentElement.dataset.mapReady = "1";
})();
