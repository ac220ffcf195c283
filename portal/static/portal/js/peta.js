/* The public map /peta/: boundaries (coarse lines, then GeoJSON), report points and
   clusters (vector tiles), P1 counts per desa (choropleth), UMKM (vector
   tiles), raster overlays, layer switcher, legend, location and search. */
(function () {
  "use strict";
  var cfg = KR.config();
  var t = cfg.labels;
  var made = KR.baseMap("map", cfg);
  var map = made.map;
  var overlays = {};
  var statusColour = {};
  cfg.statuses.forEach(function (s) { statusColour[s.code] = s.color; });

  ["desa", "kecamatan", "reports"].forEach(KR.expect);

  var desaLayer = L.geoJSON(null, {
    style: {color: "#555", weight: 1, fill: false},
    onEachFeature: function (f, layer) {
      layer.bindTooltip(KR.escape(f.properties.name), {sticky: true});
    }
  }).addTo(map);
  var kecamatanLayer = L.geoJSON(null, {style: {color: "#0d4f8b", weight: 2.5, fill: false}, interactive: false})
    .addTo(map);
  overlays[t.desa] = desaLayer;
  overlays[t.kecamatan] = kecamatanLayer;

  /* Boundaries: coarse lines first (/peta/wilayah/<level>.garis.json?kasar=1,
     preloaded: the opening zoom's picture, 305 m a pixel, in a quarter of the
     bytes, drawn on one canvas), then, once the map has drawn, the precise
     GeoJSON replaces them inside the same layers (names on tap, the
     choropleth's shapes). <html data-boundaries="precise"> then. */
  var lines = L.canvas();
  function coarse(level, layer, style) {
    KR.fetchJSON(cfg.outlines_coarse[level]).then(function (r) {
      var rings = [];
      ((r.body && r.body.areas) || []).forEach(function (a) {
        (a[3] || []).forEach(function (e) { rings.push(KR.decodePolyline(e, r.body.precision)); });
      });
      if (r.ok && rings.length && !layer.getLayers().length) {
        layer.addLayer(L.polyline(rings, Object.assign({interactive: false, renderer: lines}, style)));
      }
      KR.done(level);
    }, function () { KR.done(level); });
  }
  coarse("desa", desaLayer, {color: "#555", weight: 1});
  coarse("kecamatan", kecamatanLayer, {color: "#0d4f8b", weight: 2.5});

  /* P1 categories are published only as counts per desa; "<5" is its own class. */
  function choroplethColour(count) {
    var c = cfg.choropleth;
    if (typeof count !== "number") return c.colors[0];
    for (var i = 0; i < c.breaks.length; i++) { if (count < c.breaks[i]) return c.colors[i]; }
    return c.colors[c.colors.length - 1];
  }
  var choropleth = L.geoJSON(null, {
    style: function (f) {
      return {color: "#999", weight: 0.5, fillOpacity: 0.65, fillColor: choroplethColour(f.properties.count)};
    },
    onEachFeature: function (f, layer) {
      var n = typeof f.properties.count === "number" ? f.properties.count : t.suppressed;
      layer.bindPopup("<strong>" + KR.escape(f.properties.name) + "</strong><br>" + KR.escape(t.choropleth) +
                      ": " + KR.escape(n));
    }
  });
  overlays[t.choropleth] = choropleth;

  function precise(url, layer) {
    return KR.fetchJSON(url).then(function (r) {
      if (!r.ok || !r.body) throw new Error(url + ": " + r.status);
      layer.clearLayers();
      layer.addData(r.body);
      return r.body;
    });
  }
  KR.whenDrawn(function () {
    var desa = precise(cfg.boundaries.desa, desaLayer);
    var choroplethDrawn = Promise.all([desa, KR.fetchJSON(cfg.counts_url)]).then(function (all) {
      var counts = (all[1].body || {}).desa || {};
      choropleth.addData({type: "FeatureCollection", features: all[0].features.map(function (f) {
        var props = Object.assign({}, f.properties, {count: counts[f.properties.code]});
        return {type: "Feature", geometry: f.geometry, properties: props};
      })});
    });
    Promise.all([choroplethDrawn, precise(cfg.boundaries.kecamatan, kecamatanLayer)]).then(function () {
      KR.preciseAt = performance.now();
      document.documentElement.dataset.boundaries = "precise";
    }, function () { document.documentElement.dataset.boundaries = "failed"; });
  });

  /* Clusters carry their count as a label, written on the tile's canvas over
     the circle (VectorGrid draws circles only). KR.clusterLabels keeps the
     last labels written, for the browser tests. */
  var compact = window.Intl && Intl.NumberFormat
    ? new Intl.NumberFormat(document.documentElement.lang || "id", {notation: "compact", maximumFractionDigits: 1})
    : null;
  KR.clusterLabels = [];
  var LabelledTile = L.Canvas.Tile.extend({
    _updateCircle: function (layer) {
      L.Canvas.Tile.prototype._updateCircle.call(this, layer);
      var n = layer.properties && layer.properties.count;
      if (!this._drawing || !(n > 1)) return;
      var label = compact ? compact.format(n) : String(n);
      var ctx = this._ctx, p = layer._point;
      ctx.save();
      ctx.font = "bold " + (label.length > 3 ? 10 : 11) + "px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = "rgba(0, 0, 0, 0.55)";
      ctx.fillStyle = "#fff";
      ctx.strokeText(label, p.x, p.y + 0.5);
      ctx.fillText(label, p.x, p.y + 0.5);
      ctx.restore();
      if (KR.clusterLabels.length >= 500) KR.clusterLabels.shift();
      KR.clusterLabels.push(label);
    }
  });
  function labelledTile(coords, size, options) { return new LabelledTile(coords, size, options); }

  /* Reports: clusters (count) at low zoom, points coloured by status above. */
  function reportStyle(props) {
    var n = props.count || props.point_count || 1;
    if (n > 1) {
      return {radius: Math.max(9, Math.min(24, 5 + 3 * Math.log(n))), fill: true, fillColor: "#0d4f8b", fillOpacity: 0.6,
              color: "#fff", weight: 1.5};
    }
    return {radius: 6, fill: true, fillColor: statusColour[props.status] || "#333", fillOpacity: 0.9,
            color: "#fff", weight: 1.5};
  }
  var reportTiles = L.vectorGrid.protobuf(cfg.tiles.reports, {
    rendererFactory: labelledTile, interactive: true, maxNativeZoom: 18,
    vectorTileLayerStyles: {reports: reportStyle}
  });
  reportTiles.on("click", function (e) {
    var p = e.layer.properties || {};
    var html;
    if ((p.count || 1) > 1) {
      html = KR.escape(p.count) + " · " + KR.escape(t.zoom_in_for_points);
    } else {
      var status = cfg.statuses.filter(function (s) { return s.code === p.status; })[0];
      html = "<strong>" + KR.escape(p.category_name || p.category || "") + "</strong><br>" +
             KR.escape(t.status) + ": " + KR.escape(status ? status.label : p.status) +
             (p.tracking_code ? "<br><a href=\"/lacak/" + encodeURIComponent(p.tracking_code) + "/\">" +
              KR.escape(p.tracking_code) + "</a>" : "");
    }
    L.popup().setLatLng(e.latlng).setContent(html).openOn(map);
  });
  reportTiles.once("load", function () { KR.done("reports"); });
  reportTiles.on("tileerror", function () { KR.done("reports"); });
  reportTiles.addTo(map);
  overlays[t.reports] = reportTiles;

  /* UMKM: the public point of each business (desa point when home-based
     without consent), popup with what the owner chose to publish. */
  var businessTiles = L.vectorGrid.protobuf(cfg.tiles.businesses, {
    rendererFactory: labelledTile, interactive: true, maxNativeZoom: 18,
    vectorTileLayerStyles: {businesses: function (props) {
      var n = props.count || 1;
      return {radius: n > 1 ? Math.min(20, 4 + 2.5 * Math.log(n)) : 5, fill: true, fillColor: "#e6ab02",
              fillOpacity: 0.85, color: "#6b4e00", weight: 1};
    }}
  });
  businessTiles.on("click", function (e) {
    var p = e.layer.properties || {};
    if ((p.count || 1) > 1) {
      L.popup().setLatLng(e.latlng).setContent(KR.escape(p.count) + " UMKM").openOn(map);
      return;
    }
    var lines = ["<strong>" + KR.escape(p.name || "UMKM") + "</strong>"];
    if (p.products) lines.push(KR.escape(t.products) + ": " + KR.escape(p.products));
    if (p.sector || p.sector_name) lines.push(KR.escape(p.sector_name || p.sector));
    var contact = p.contact || p.phone || p.whatsapp;
    if (contact) lines.push(KR.escape(t.contact) + ": " + KR.escape(contact));
    L.popup().setLatLng(e.latlng).setContent(lines.join("<br>")).openOn(map);
  });
  overlays[t.businesses] = businessTiles;

  (cfg.rasters || []).forEach(function (r) {
    overlays[r.title] = L.tileLayer(r.url, {opacity: 0.6, maxNativeZoom: 16, bounds: r.bounds,
                                            attribution: r.attribution || ""});
  });

  var bases = {};
  if (made.base) bases["OpenStreetMap"] = made.base;
  L.control.layers(bases, overlays, {collapsed: window.innerWidth < 700}).addTo(map);

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    var html = "";
    cfg.statuses.forEach(function (s) {
      html += "<i style=\"background:" + s.color + "\"></i>" + KR.escape(s.label) + "<br>";
    });
    html += "<i style=\"background:#0d4f8b;opacity:.6\"></i>" + KR.escape(t.report_counts) + "<br>";
    html += "<i style=\"background:#e6ab02\"></i>" + KR.escape(t.businesses) + "<br>";
    html += "<i class=\"sq\" style=\"background:" + cfg.choropleth.colors[0] + "\"></i>" + KR.escape(t.suppressed);
    div.innerHTML = "<details" + (window.innerWidth >= 700 ? " open" : "") + "><summary><strong>" +
      KR.escape(t.legend) + "</strong></summary>" + html + "</details>";
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  legend.addTo(map);

  /* Find my location. */
  var here = L.layerGroup().addTo(map);
  document.getElementById("locate").addEventListener("click", function () {
    map.locate({setView: true, maxZoom: 16});
  });
  map.on("locationfound", function (e) {
    here.clearLayers();
    L.circle(e.latlng, {radius: e.accuracy, weight: 1}).addTo(here);
    L.circleMarker(e.latlng, {radius: 7, color: "#fff", fillColor: "#d62728", fillOpacity: 1}).addTo(here)
      .bindPopup(KR.escape(t.you_are_here)).openPopup();
  });
  map.on("locationerror", function () {
    L.popup().setLatLng(map.getCenter()).setContent(KR.escape(t.locate_failed)).openOn(map);
  });

  /* Search by desa / kecamatan or business name. */
  var results = document.getElementById("search-results");
  document.getElementById("map-search").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = document.getElementById("map-search-q").value.trim();
    results.innerHTML = "";
    if (q.length < 2) return;
    KR.fetchJSON(cfg.search_url + "?q=" + encodeURIComponent(q)).then(function (r) {
      var items = (r.body && r.body.results) || [];
      if (!items.length) { results.innerHTML = "<li><button type=\"button\" disabled>" + KR.escape(t.no_results) + "</button></li>"; return; }
      items.forEach(function (item) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = item.name + (item.parent ? " (" + item.parent + ")" : "") + " · " + item.kind;
        b.addEventListener("click", function () {
          results.innerHTML = "";
          if (item.bbox) {
            map.fitBounds([[item.bbox[1], item.bbox[0]], [item.bbox[3], item.bbox[2]]]);
          } else if (item.point) {
            map.setView([item.point[1], item.point[0]], 17);
            if (!map.hasLayer(businessTiles)) businessTiles.addTo(map);
            L.popup().setLatLng([item.point[1], item.point[0]])
              .setContent("<strong>" + KR.escape(item.name) + "</strong>" +
                          (item.products ? "<br>" + KR.escape(item.products) : "")).openOn(map);
          }
        });
        li.appendChild(b);
        results.appendChild(li);
      });
      var first = results.querySelector("button");
      if (first) first.focus();
    });
  });

  window.KR.map = map;
})();
