/* The agency workspace's maps: queue points, one report's point, near me. */
(function () {
  "use strict";
  var KR = window.KR = window.KR || {};

  /* points: [{lat, lon, id, url, status, overdue}] */
  KR.pointsMap = function (elementId, points, here) {
    var cfg = KR.config("map-config");
    var m = KR.baseMap(elementId, cfg).map, bounds = [];
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {radius: 7, weight: 2, color: "#fff",
        fillColor: p.overdue ? "#b00020" : "#0d4f8b", fillOpacity: 0.9}).addTo(m);
      marker.bindPopup((p.url ? '<a href="' + KR.escape(p.url) + '">' + KR.escape(p.id) + "</a>" : KR.escape(p.id)) +
                       (p.status ? "<br>" + KR.escape(p.status) : ""));
      bounds.push([p.lat, p.lon]);
    });
    if (here) {
      L.circleMarker([here.lat, here.lon], {radius: 8, color: "#f0a500", weight: 3, fillOpacity: 0.3}).addTo(m)
        .bindTooltip(here.label || "");
      bounds.push([here.lat, here.lon]);
    }
    if (bounds.length === 1) m.setView(bounds[0], 16);
    else if (bounds.length > 1) m.fitBounds(bounds, {padding: [20, 20], maxZoom: 17});
    document.documentElement.dataset.mapReady = "1";
    return m;
  };
})();

/* A photo downscaled on the phone before upload: at most maxSide pixels on its
   longer side, JPEG; resolves to null without a file, to the file itself when
   the browser cannot decode it (the server re-encodes every photo anyway). */
(function () {
  "use strict";
  var KR = window.KR = window.KR || {};
  KR.downscale = function (file, maxSide) {
    if (!file) return Promise.resolve(null);
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file), img = new Image();
      img.onload = function () {
        var scale = Math.min(1, maxSide / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.naturalWidth * scale);
        canvas.height = Math.round(img.naturalHeight * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", 0.85);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  };
})();
