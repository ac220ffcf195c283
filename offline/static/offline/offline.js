/* The crew's offline page (/kerja/offline/): "Bawa offline" downloads the
   crew's package (open queue, desa of the service area, basemap tiles under a
   30 MB budget), keeps it encrypted in IndexedDB (AES-GCM, a non-extractable
   key made for this sign-in; wiped on sign-out and when the package expires),
   and lets the crew open reports, see them on the map with their own
   position, write notes, change status and take evidence photos with no
   network. Every action is queued with a client id and sent when the network
   returns (on "online", on open, and by Background Sync "kr-crew" through
   the service worker: sync.js); the server applies each id once and says
   why it refused one. Words: <script id="offline-text"> (offline/text.py). */
(function () {
  "use strict";
  var DB = "kr-crew", $ = function (id) { return document.getElementById(id); };
  var T = JSON.parse((document.getElementById("offline-text") || {textContent: "{}"}).textContent);
  var LABELS = T.statuses || {};
  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }
  var state = {pkg: null, queue: [], refused: [], position: null, map: null, layer: null};

  function db() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open(DB, 1);
      open.onupgradeneeded = function () {
        open.result.createObjectStore("kv");
        open.result.createObjectStore("queue", {keyPath: "client_id"});
      };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }
  function tx(storeName, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(storeName, mode), req = fn(t.objectStore(storeName));
        t.oncomplete = function () { d.close(); resolve(req ? req.result : undefined); };
        t.onerror = function () { d.close(); reject(t.error); };
      });
    });
  }
  var kvGet = function (k) { return tx("kv", "readonly", function (s) { return s.get(k); }); };
  var kvPut = function (k, v) { return tx("kv", "readwrite", function (s) { return s.put(v, k); }); };

  function key() {
    // One AES-GCM key per sign-in, never extractable; bound to the user id.
    // Another user's key (a sign-out that did not reach this page) takes
    // that user's package, queue and refusals with it: they are not this
    // user's to see or to send.
    var who = $("crew").dataset.user;
    return kvGet("key").then(function (rec) {
      if (rec && rec.user === who) { return rec.key; }
      return crypto.subtle.generateKey({name: "AES-GCM", length: 256}, false, ["encrypt", "decrypt"])
        .then(function (k) {
          return db().then(function (d) {
            return new Promise(function (resolve, reject) {
              var t = d.transaction(["kv", "queue"], "readwrite");
              if (rec) { t.objectStore("queue").clear(); t.objectStore("kv").clear(); }
              t.objectStore("kv").put({user: who, key: k}, "key");
              t.oncomplete = function () { d.close(); resolve(k); };
              t.onerror = function () { d.close(); reject(t.error); };
            });
          });
        });
    });
  }
  function seal(value) {
    return key().then(function (k) { return KRSync.seal(k, value); });
  }
  function open(sealed) {
    return key().then(function (k) { return KRSync.unseal(k, sealed); }).catch(function () { return null; });
  }

  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function age(iso) {
    var minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60000);
    if (minutes < 1) { return T.just_now; }
    if (minutes < 60) { return fmt(T.minutes_ago, {n: minutes}); }
    if (minutes < 48 * 60) { return fmt(T.hours_ago, {n: Math.round(minutes / 60)}); }
    return fmt(T.days_ago, {n: Math.round(minutes / 1440)});
  }
  function mb(bytes) { return (bytes / 1048576).toFixed(1).replace(".", T.decimal || ",") + " MB"; }
  function distance(a, b) {
    var r = 6371000, rad = Math.PI / 180, dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
            Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }
  function say(text) { $("crew-status").textContent = text; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function loadState() {
    return key().then(function (k) {
      return Promise.all([kvGet("package").then(open), KRSync.crewQueue(k), KRSync.crewRefused(k),
                          kvGet("applied")]);
    }).then(function (r) {
      state.pkg = r[0];
      state.queue = r[1] || [];
      state.refused = r[2] || [];
      if (state.pkg && Date.now() > new Date(state.pkg.generated_at).getTime() + state.pkg.expires_in_hours * 3600e3) {
        state.pkg = null;
        return kvPut("package", null);
      }
      var applied = r[3] || {}, gone = {};
      state.refused.forEach(function (x) { if (x.code === "not_found") { gone[x.report_id] = true; } });
      var leaving = state.pkg ? state.pkg.reports.filter(function (rep) { return gone[rep.id]; }).length : 0;
      if (state.pkg && (Object.keys(applied).length || leaving)) {
        // Sent meanwhile (this page or the service worker): the package shows
        // what the server answered, never the older status; a report no longer
        // this crew's leaves the phone.
        state.pkg.reports = state.pkg.reports.filter(function (rep) { return !gone[rep.id]; });
        state.pkg.reports.forEach(function (rep) {
          if (applied[rep.id]) { rep.status = applied[rep.id]; rep.next = []; }
        });
        return seal(state.pkg).then(function (sealed) { return kvPut("package", sealed); })
          .then(function () { return kvPut("applied", {}); });
      }
    });
  }

  function pendingFor(id) {
    return state.queue.filter(function (a) { return a.report_id === id; });
  }

  function render() {
    var list = $("crew-reports"), pkg = state.pkg;
    list.innerHTML = "";
    $("crew-queue-count").textContent = state.queue.length;
    $("crew-fresh").textContent = pkg ? fmt(T.fresh, {age: age(pkg.generated_at),
      time: new Date(pkg.generated_at).toLocaleString(T.locale || "id-ID", {timeZone: "Asia/Pontianak"})}) :
      T.no_package;
    var refusedBox = $("crew-refused");
    refusedBox.innerHTML = "";
    state.refused.forEach(function (r) {
      refusedBox.appendChild(el("li", {"class": "refused", "data-client-id": r.client_id},
                                (r.tracking_code || r.report_id) + ": " + r.message));
    });
    $("crew-refused-box").hidden = !state.refused.length;
    if (!pkg) { return; }
    var reports = pkg.reports.slice();
    if (state.position) {
      reports.sort(function (a, b) {
        return distance(state.position, [a.lon, a.lat]) - distance(state.position, [b.lon, b.lat]);
      });
    }
    reports.forEach(function (r) {
      var pend = pendingFor(r.id), shown = r.status;
      var next = r.next || [];
      pend.forEach(function (a) { if (a.kind === "transition") { shown = a.to; next = []; } });
      var card = el("li", {"class": "card", "data-report": r.id});
      card.appendChild(el("h3", {}, r.tracking_code + " · " + r.category));
      var meta = (LABELS[shown] || shown) + (pend.length ? " (" + T.waiting + ")" : "") + " · " + (r.desa || "");
      if (state.position) { meta += " · " + Math.round(distance(state.position, [r.lon, r.lat])) + " m"; }
      card.appendChild(el("p", {"class": "meta"}, meta));
      if (r.description) { card.appendChild(el("p", {}, r.description)); }
      r.photos.forEach(function (src) { card.appendChild(el("img", {src: src, alt: T.photo_alt, loading: "lazy",
                                                                    width: "120"})); });
      var nav = el("a", {href: "geo:" + r.lat + "," + r.lon + "?q=" + r.lat + "," + r.lon}, T.navigate);
      card.appendChild(nav);
      var form = el("form", {"class": "crew-action"});
      var select = el("select", {name: "to", "aria-label": T.new_status});
      select.appendChild(el("option", {value: ""}, T.note_only));
      next.forEach(function (s) { select.appendChild(el("option", {value: s}, LABELS[s] || s)); });
      form.appendChild(select);
      form.appendChild(el("textarea", {name: "note", rows: "2", placeholder: T.note_placeholder}));
      form.appendChild(el("input", {type: "file", name: "photo", accept: "image/*", capture: "environment"}));
      form.appendChild(el("button", {type: "submit"}, T.save));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        queueAction(r, form).then(render);
      });
      card.appendChild(form);
      list.appendChild(card);
    });
    drawMap(reports);
  }

  /* The basemap: the package's vector tiles (MVT), drawn by Leaflet.VectorGrid
     from the phone's copies (the service worker answers from the basemap
     cache), overzoomed past z14. Boundaries always; an OpenMapTiles basemap
     (water, rivers, roads, buildings) when the server names one. */
  var STYLE = {
    desa: {weight: 1, color: "#555", fill: false},
    kecamatan: {weight: 2.5, color: "#222", fill: false},
    water: {fill: true, fillColor: "#a9cdea", fillOpacity: 1, stroke: false},
    waterway: {weight: 1.5, color: "#6fa8dc"},
    transportation: {weight: 1.2, color: "#b0894f"},
    building: {fill: true, fillColor: "#d9d0c9", fillOpacity: 1, stroke: false},
    landcover: {fill: true, fillColor: "#e3efd9", fillOpacity: 0.6, stroke: false}
  };
  function basemap(map, plan, bbox) {
    // Only the package's area: a tile outside it is neither kept nor asked for.
    var bounds = bbox ? L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]) : undefined;
    (plan.sources || []).forEach(function (source) {
      // A layer not styled here (labels, POIs...) is not drawn.
      var styles = window.Proxy ? new Proxy(STYLE, {get: function (t, name) { return t[name] || []; }}) : STYLE;
      L.vectorGrid.protobuf(source.template, {
        // Below z10 (the whole area on a small screen) the z10 tiles are drawn smaller.
        vectorTileLayerStyles: styles, minNativeZoom: 10, maxNativeZoom: source.max_zoom, maxZoom: 19,
        bounds: bounds,
        interactive: false, attribution: source.attribution || "", rendererFactory: L.canvas.tile,
        fetchOptions: {credentials: "same-origin"}
      }).addTo(map);
    });
  }

  function drawMap(reports) {
    if (!window.L || !$("crew-map")) { return; }
    if (!state.map) {
      state.map = L.map("crew-map", {zoomControl: true});
      if (L.vectorGrid && state.pkg.basemap) { basemap(state.map, state.pkg.basemap, state.pkg.bbox); }
      document.documentElement.dataset.basemap = state.pkg.basemap ? state.pkg.basemap.format || "" : "";
    }
    if (state.layer) { state.map.removeLayer(state.layer); }
    state.layer = L.featureGroup();
    L.geoJSON(state.pkg.desa, {style: {color: "#555", weight: 1, fill: false},
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); }}).addTo(state.layer);
    reports.forEach(function (r) {
      L.circleMarker([r.lat, r.lon], {radius: 7, color: "#b00", weight: 2}).bindPopup(r.tracking_code)
        .addTo(state.layer);
    });
    if (state.position) {
      L.circleMarker([state.position[1], state.position[0]], {radius: 6, color: "#06c", fillOpacity: 1})
        .bindTooltip(T.your_position).addTo(state.layer);
    }
    state.layer.addTo(state.map);
    if (state.pkg.bbox) {
      state.map.fitBounds([[state.pkg.bbox[1], state.pkg.bbox[0]], [state.pkg.bbox[3], state.pkg.bbox[2]]]);
    }
  }

  function downscale(file) {
    // Long edge 1600 px, JPEG: a 3.5 MB phone photo becomes ~300 KB.
    return new Promise(function (resolve, reject) {
      var img = new Image(), url = URL.createObjectURL(file);
      img.onload = function () {
        var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        resolve(canvas.toDataURL("image/jpeg", 0.8));
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("foto")); };
      img.src = url;
    });
  }

  function queueAction(report, form) {
    var to = form.elements.to.value, note = form.elements.note.value.trim();
    var file = form.elements.photo.files[0];
    if (!to && !note) { say(T.need_note); return Promise.resolve(); }
    return (file ? downscale(file) : Promise.resolve(null)).then(function (photo) {
      var action = {client_id: crypto.randomUUID(), report_id: report.id, tracking_code: report.tracking_code,
                    kind: to ? "transition" : "note", to: to || undefined, note: note, public: false,
                    from_status: report.status,
                    taken_at: new Date().toISOString()};
      if (photo) { action.photo = photo; }
      // Kept sealed: only its id and time are readable at rest.
      return key().then(function (k) { return KRSync.sealAction(k, action); }).then(function (sealed) {
        return tx("queue", "readwrite", function (s) { return s.put(sealed); });
      }).then(function () {
        state.queue.push(action);
        if (action.kind === "transition") {
          KRSync.ledgerPut({code: report.tracking_code, report_id: report.id, status: action.to,
                            at: action.taken_at, pending: true}).catch(function () {});
        }
        say(navigator.onLine ? T.saved_sending : T.saved_offline);
        // Background Sync where the browser has it: sent even if this page is closed.
        if (navigator.serviceWorker && window.SyncManager) {
          navigator.serviceWorker.ready.then(function (reg) { return reg.sync.register("kr-crew"); })
            .catch(function () { /* sent on "online" and on the next open */ });
        }
        if (navigator.onLine) { return sync(); }
      });
    });
  }

  var syncing = null;
  function sync() {
    if (syncing) { return syncing; }
    if (!state.queue.length) { return Promise.resolve(); }
    syncing = KRSync.crewFlush({csrf: csrf(), lang: document.documentElement.lang || "id"}).then(function (r) {
      return loadState().then(function () {
        say(fmt(T.sent_n, {n: r.sent}));
        document.documentElement.dataset.synced = String(Date.now());
      });
    }).catch(function () {
      say(T.not_sent);
    }).then(function () { syncing = null; render(); });
    return syncing;
  }

  /* In the background when the signal returns (after what waited was sent),
     and on open when the package is older than an hour: the queue, its
     photos and the tiles are taken again (what is kept is not fetched twice). */
  var REFRESH_AFTER_MS = 3600e3;
  function refresh() {
    if (!state.pkg || !navigator.onLine || state.queue.length) { return Promise.resolve(); }
    return download();
  }

  function download() {
    say(T.fetching);
    return fetch("/api/v1/offline/package/", {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (pkg) {
      var estimate = pkg.estimated_bytes, budget = pkg.budget_bytes;
      $("crew-size").textContent = fmt(T.package_size, {size: mb(estimate), budget: mb(budget),
        reports: pkg.reports.length, desa: pkg.desa.features.length, tiles: pkg.basemap.tiles});
      return seal(pkg).then(function (sealed) { return kvPut("package", sealed); }).then(function () {
        state.pkg = pkg;
        render();
        return cacheExtras(pkg, budget);
      });
    }).then(function (used) {
      say(fmt(T.ready, {size: mb(used)}));
      document.documentElement.dataset.offlineReady = "1";
    }).catch(function (error) { say(fmt(T.fetch_failed, {error: error.message})); });
  }

  function cacheExtras(pkg, budget) {
    // Photos (private), then the basemap's vector tiles zoom by zoom (public
    // data), four at a time, stopping at the budget.
    var used = JSON.stringify(pkg).length, urls = [], byId = {};
    pkg.reports.forEach(function (r) { r.photos.forEach(function (u) { urls.push({url: u, cache: 0}); }); });
    (pkg.basemap.sources || []).forEach(function (source) { byId[source.id] = source; });
    (pkg.basemap.zooms || []).forEach(function (z) {
      for (var x = z.x[0]; x <= z.x[1]; x++) {
        for (var y = z.y[0]; y <= z.y[1]; y++) {
          (z.sources || []).forEach(function (id) {
            urls.push({url: byId[id].template.replace("{z}", z.z).replace("{x}", x).replace("{y}", y), cache: 1});
          });
        }
      }
    });
    var tiles = 0, tileBytes = 0, next = 0;
    return Promise.all([caches.open("kr-private-photos"), caches.open("kr-offline-v1-basemap")]).then(function (c) {
      function one(item) {
        var url = item.url, same = url.charAt(0) === "/", cache = c[item.cache];
        var count = function (b) {
          used += b.size;
          if (item.cache) { tiles += 1; tileBytes += b.size; }
        };
        return cache.match(url, {ignoreVary: true}).then(function (hit) {
          // Kept already (a refresh): counted, not fetched again.
          if (hit) { return hit.blob().then(count); }
          return fetch(url, same ? {credentials: "same-origin"} : {mode: "cors"}).then(function (response) {
            if (!response.ok) { return; }
            return response.clone().blob().then(function (b) {
              count(b);
              return cache.put(url, response);
            });
          });
        }).catch(function () {});
      }
      function worker() {
        if (used >= budget || next >= urls.length) { return Promise.resolve(); }
        return one(urls[next++]).then(worker);
      }
      return Promise.all([worker(), worker(), worker(), worker()]).then(function () {
        document.documentElement.dataset.basemapTiles = String(tiles);
        document.documentElement.dataset.basemapBytes = String(tileBytes);
        return used;
      });
    });
  }

  function wipe() {
    return Promise.all([
      new Promise(function (resolve) { var r = indexedDB.deleteDatabase(DB); r.onsuccess = r.onerror = r.onblocked = resolve; }),
      caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("kr-private") === 0; })
          .map(function (k) { return caches.delete(k); }));
      })]).then(function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({type: "wipe"});
      }
    });
  }
  window.KROffline = {wipe: wipe, sync: sync};

  document.addEventListener("DOMContentLoaded", function () {
    if (!$("crew-reports")) { return; }
    $("crew-download").addEventListener("click", download);
    $("crew-sync").addEventListener("click", sync);
    $("crew-locate").addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        state.position = [p.coords.longitude, p.coords.latitude];
        render();
      }, function () { say(T.no_location); }, {enableHighAccuracy: true, timeout: 15000});
    });
    window.addEventListener("online", function () { sync().then(refresh); });
    window.addEventListener("offline", function () { say(T.offline_now); });
    kvPut("csrf", csrf()).catch(function () {});
    if (navigator.serviceWorker) {
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "crew-sent") { loadState().then(render); }
      });
    }
    loadState().then(function () {
      render();
      document.documentElement.dataset.crewReady = "1";
      if (navigator.onLine) {
        sync().then(function () {
          if (state.pkg && Date.now() - new Date(state.pkg.generated_at).getTime() > REFRESH_AFTER_MS) { return refresh(); }
        });
      }
    });
  });
})();
