/* Announcements on /peta/: active announcements as areas coloured by kind,
   a short list, and "follow this place" with Web Push (a service worker; no
   account needed). Self-contained: it only needs window.KR.map from peta.js. */
(function () {
  "use strict";
  var map = window.KR && window.KR.map;
  if (!map) return;
  /* The box and its texts come from the page (announcements/peta_box.html),
     translated by the catalogs like the rest of the page. */
  var boxEl = document.getElementById("announcements-box");
  if (!boxEl) return;
  var T = {ok: boxEl.dataset.ok, fail: boxEl.dataset.fail, none: boxEl.dataset.none, more: boxEl.dataset.more};
  var colours = {information: "#1f78b4", disruption: "#ff7f00", warning: "#e31a1c", emergency: "#6a3d9a"};
  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

  var layer = L.geoJSON(null, {
    style: function (f) { var c = colours[f.properties.kind] || "#333"; return {color: c, weight: 2, fillColor: c, fillOpacity: 0.25}; },
    onEachFeature: function (f, l) {
      l.bindPopup("<strong>" + esc(f.properties.title) + "</strong><br>" + esc(f.properties.body) +
                  '<br><a href="/pengumuman/' + esc(f.id) + '/">' + esc(T.more) + "</a>");
    }
  }).addTo(map);

  var box = L.control({position: "topright"});
  box.onAdd = function () {
    boxEl.hidden = false;
    boxEl.style.cssText = "background:#fff;padding:6px 8px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:260px";
    L.DomEvent.disableClickPropagation(boxEl);
    return boxEl;
  };
  box.addTo(map);

  function load() {
    return fetch("/api/v1/announcements/", {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        layer.clearLayers();
        layer.addData(fc);
        var list = document.getElementById("announcements-list");
        list.innerHTML = fc.features.length ? fc.features.map(function (f) {
          return '<li class="kind-' + esc(f.properties.kind) + '"><span style="color:' + (colours[f.properties.kind] || "#333") +
                 '">&#9632;</span> <a href="/pengumuman/' + esc(f.id) + '/">' + esc(f.properties.title) + "</a></li>";
        }).join("") : "<li>" + esc(T.none) + "</li>";
        document.documentElement.dataset.announcements = String(fc.features.length);
      });
  }
  load();
  window.KR.announcementsReload = load;

  function csrf() { var m = document.cookie.match(/csrftoken=([^;]+)/); return m ? m[1] : ""; }
  function b64(s) {
    var pad = "=".repeat((4 - s.length % 4) % 4), raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  function active(reg) {
    var w = reg.installing || reg.waiting;
    if (reg.active || !w) return Promise.resolve(reg);
    return new Promise(function (ok) { w.addEventListener("statechange", function () { if (w.state === "activated") ok(reg); }); });
  }
  function follow() {
    var status = document.getElementById("announcements-status");
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { status.textContent = T.fail; return Promise.resolve(); }
    var centre = map.getCenter();
    return fetch("/api/v1/push/vapid-key").then(function (r) { return r.json(); }).then(function (k) {
      return navigator.serviceWorker.register("/pengumuman/sw.js", {scope: "/pengumuman/"}).then(active).then(function (reg) {
        return Notification.requestPermission().then(function () {
          return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: b64(k.public_key)});
        });
      });
    }).then(function (sub) {
      return fetch("/api/v1/subscriptions/", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
        body: JSON.stringify({channel: "webpush", target: "point", lon: centre.lng, lat: centre.lat, radius_m: 2000,
                              push: sub.toJSON()})});
    }).then(function (r) {
      status.textContent = r.ok ? T.ok : T.fail;
      document.documentElement.dataset.push = r.ok ? "subscribed" : "failed";
    }).catch(function (e) {
      status.textContent = T.fail + " (" + e + ")";
      document.documentElement.dataset.push = "failed";
    });
  }
  document.getElementById("announcements-follow").addEventListener("click", follow);
})();
