/* Shared helpers of the portal's pages (no framework, no build step). */
(function () {
  "use strict";
  var KR = window.KR = window.KR || {};

  KR.config = function (id) {
    var el = document.getElementById(id || "map-config");
    return el ? JSON.parse(el.textContent) : {};
  };

  KR.csrfToken = function () {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  KR.fetchJSON = function (url, options) {
    options = options || {};
    options.headers = Object.assign({"Accept": "application/json",
                                     "Accept-Language": document.documentElement.lang || "id"},
                                    options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return {ok: response.ok, status: response.status, body: body};
      });
    });
  };

  /* This phone's secret (32 random bytes, base64url), made once and kept in
     localStorage: a report filed without an account is linked to it, so the
     same phone can follow, confirm and dispute it (residents app). */
  KR.deviceSecret = function () {
    var key = "kr-device-secret", value = null;
    try { value = localStorage.getItem(key); } catch (e) { value = null; }
    if (!value || value.length < 32) {
      var b = crypto.getRandomValues(new Uint8Array(32));
      value = btoa(String.fromCharCode.apply(null, b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      try { localStorage.setItem(key, value); } catch (e) { /* private mode: this page only */ }
    }
    return value;
  };

  KR.escape = function (value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  };

  /* A Leaflet map with the configured basemap. The basemap is optional: every
     overlay is served by this project, so the map works without internet. */
  KR.baseMap = function (elementId, cfg, options) {
    var map = L.map(elementId, Object.assign({zoomControl: true}, options || {}))
      .setView(cfg.center, cfg.zoom);
    var base = null;
    if (cfg.basemap && cfg.basemap.url) {
      base = L.tileLayer(cfg.basemap.url, {maxZoom: 19, attribution: cfg.basemap.attribution,
                                           crossOrigin: false}).addTo(map);
    }
    return {map: map, base: base};
  };

  /* Overlay readiness, for people (a status line) and for the browser tests
     and the benchmark: <html data-overlays="drawn"> once every overlay that is
     switched on has drawn (or failed) once. */
  KR.pending = {};
  var afterDrawn = [];
  KR.expect = function (name) { KR.pending[name] = true; document.documentElement.dataset.overlays = "loading"; };
  KR.done = function (name) {
    delete KR.pending[name];
    if (Object.keys(KR.pending).length === 0 && document.documentElement.dataset.overlays !== "drawn") {
      document.documentElement.dataset.overlays = "drawn";
      KR.drawnAt = performance.now();
      afterDrawn.splice(0).forEach(function (fn) { fn(); });
    }
  };
  /* fn() once the overlays have drawn: what refines the picture waits for it
     and does not share a weak link with what draws it first. */
  KR.whenDrawn = function (fn) {
    if (document.documentElement.dataset.overlays === "drawn") fn();
    else afterDrawn.push(fn);
  };

  /* An encoded polyline (PostGIS ST_AsEncodedPolyline) as [[lat, lon], ...]. */
  KR.decodePolyline = function (str, precision) {
    var index = 0, latitude = 0, longitude = 0, points = [], factor = Math.pow(10, precision);
    while (index < str.length) {
      var shift = 0, result = 0, byte;
      do { byte = str.charCodeAt(index++) - 63; result |= (byte & 0x1f) << shift; shift += 5; } while (byte >= 0x20);
      latitude += (result & 1) ? ~(result >> 1) : (result >> 1);
      shift = 0; result = 0;
      do { byte = str.charCodeAt(index++) - 63; result |= (byte & 0x1f) << shift; shift += 5; } while (byte >= 0x20);
      longitude += (result & 1) ? ~(result >> 1) : (result >> 1);
      points.push([latitude / factor, longitude / factor]);
    }
    return points;
  };
})();
