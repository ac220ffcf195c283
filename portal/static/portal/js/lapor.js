/* The report form /lapor/ for a phone on a weak link.
   - categories come inline, grouped; emergency numbers and what becomes public
     are shown as soon as one is chosen;
   - the spot: place search, desa boundaries and names drawn by this service
     (no basemap needed), a tap below a useful zoom zooms in instead, GPS states
     told truthfully with an accuracy circle; the desa and the agency are shown
     before sending (/lapor/tujuan.json);
   - nearby open reports of the category, each with "Dukung laporan ini";
   - up to 3 photos downscaled on the phone (canvas, 1600 px long edge), with
     previews and an upload progress bar;
   - a draft on the phone (localStorage + IndexedDB for photos) and one client
     id per report, so a dropped connection or a closed tab loses nothing and a
     retry creates nothing twice. */
(function () {
  "use strict";
  var cfg = KR.config();
  var text = KR.config("lapor-text");
  var formData = KR.config("lapor-form-data");
  var form = document.getElementById("lapor-form");
  var idInput = document.getElementById("report-id");
  var category = document.getElementById("category");
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  var accuracy = document.getElementById("accuracy_m");
  var description = document.getElementById("description");
  var confidential = document.getElementById("confidential");
  var anonymous = document.getElementById("anonymous");
  var submit = document.getElementById("submit");
  var mapStatus = document.getElementById("map-status");
  /* 1600 px long edge; then at most ~256 KB (quality stepped down, then 1280 / 1024 px):
     about 8 s at 256 kbps whatever the picture holds (350 KB left the 4000x3000 photo of
     bench/portal.py at the 15 s target on a loaded machine). */
  var MAX_PHOTOS = 3, LONG_EDGE = 1600, PHOTO_BUDGET = 256 * 1024;
  var categories = {};
  formData.groups.forEach(function (g) {
    g.categories.forEach(function (c) { c.icon = g.icon; categories[c.code] = c; });
  });
  category.dataset.loaded = "1";
  var statusLabels = {};
  (cfg.statuses || []).forEach(function (s) { statusLabels[s.code] = s.label; });

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_m, k) { return values[k]; }).replace(/%%/g, "%");
  }
  function waitWords(seconds) {
    seconds = Math.max(1, Math.ceil(seconds));
    if (seconds < 90) return fmt(text.seconds, {n: seconds});
    var minutes = Math.ceil(seconds / 60);
    if (minutes < 90) return fmt(text.minutes, {n: minutes});
    return fmt(text.hours, {n: Math.ceil(minutes / 60)});
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* --- Draft on the phone ------------------------------------------------ */
  var DRAFT = "kr-lapor-draft";
  function store(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* full / private */ } }
  function load(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function drop(key) { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }

  var db = null;
  function idb() {
    if (db) return db;
    db = new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var open = indexedDB.open("kr-lapor", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("photos"); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { resolve(null); };
    });
    return db;
  }
  function photosSave() {
    return idb().then(function (d) {
      if (!d) return;
      var tx = d.transaction("photos", "readwrite");
      tx.objectStore("photos").put(photos.map(function (p) { return {blob: p.blob, name: p.name}; }), "current");
    });
  }
  function photosLoad() {
    return idb().then(function (d) {
      if (!d) return [];
      return new Promise(function (resolve) {
        var get = d.transaction("photos").objectStore("photos").get("current");
        get.onsuccess = function () { resolve(get.result || []); };
        get.onerror = function () { resolve([]); };
      });
    });
  }
  function photosClear() {
    return idb().then(function (d) {
      if (d) d.transaction("photos", "readwrite").objectStore("photos").delete("current");
    });
  }

  function draftSave() {
    store(DRAFT, JSON.stringify({id: idInput.value, category: category.value, lat: lat.value, lon: lon.value,
                                 accuracy: accuracy.value, description: description.value,
                                 confidential: confidential.checked, anonymous: anonymous ? anonymous.checked : false}));
  }
  function draftClear() { drop(DRAFT); drop("kr-report-id"); photosClear(); }

  /* One id per report being written: kept across retries and closed tabs,
     renewed after success. */
  idInput.value = load("kr-report-id") || newId();
  store("kr-report-id", idInput.value);

  /* --- Map --------------------------------------------------------------- */
  var made = KR.baseMap("lapor-map", cfg);
  var map = made.map;
  KR.map = map;  /* for the browser tests and the console */
  var marker = null, circle = null;
  var labels = L.layerGroup();
  /* Desa outlines and names (kecamatan names come with the place search): the
     one overlay, as encoded polylines (/peta/wilayah/desa.garis.json), drawn
     on one canvas. */
  var decodePolyline = KR.decodePolyline;
  /* Coarse lines first (preloaded; the opening zoom's picture in a third of
     the bytes), then the precise lines and the names replace them once the
     form is usable: nothing else waits for them on a weak link. */
  var outlines = null, renderer = L.canvas();
  function drawOutlines(body) {
    var rings = [];
    (body.areas || []).forEach(function (a) {
      (a[3] || []).forEach(function (s) { rings.push(decodePolyline(s, body.precision)); });
      if (a[2]) {
        labels.addLayer(L.marker([a[2][1], a[2][0]], {interactive: false, keyboard: false,
          icon: L.divIcon({className: "desa-label", html: KR.escape(a[1]), iconSize: null})}));
      }
    });
    if (outlines) map.removeLayer(outlines);
    outlines = L.polyline(rings, {color: "#0d4f8b", weight: 1, interactive: false, renderer: renderer}).addTo(map);
    var el = document.getElementById("lapor-map");
    el.dataset.outlines = String(rings.length);
    el.dataset.outlinesPrecision = String(body.precision);
    showLabels();
  }
  function preciseOutlines() {
    KR.fetchJSON(cfg.outlines).then(function (r) { if (r.ok && r.body) drawOutlines(r.body); }, function () {});
  }
  KR.expect("boundaries");
  KR.fetchJSON(cfg.outlines_coarse).then(function (r) {
    if (r.ok && r.body) drawOutlines(r.body);
    KR.done("boundaries");
    preciseOutlines();
  }, function () { KR.done("boundaries"); preciseOutlines(); });
  function showLabels() {
    if (map.getZoom() >= 12) { if (!map.hasLayer(labels)) labels.addTo(map); }
    else if (map.hasLayer(labels)) map.removeLayer(labels);
  }
  map.on("zoomend", showLabels);

  function setPoint(latitude, longitude, acc, fromInputs) {
    if (!fromInputs) { lat.value = latitude.toFixed(6); lon.value = longitude.toFixed(6); }
    accuracy.value = acc ? Math.round(acc) : "";
    if (marker) marker.setLatLng([latitude, longitude]);
    else marker = L.marker([latitude, longitude], {keyboard: false}).addTo(map);
    if (circle) { map.removeLayer(circle); circle = null; }
    if (acc) circle = L.circle([latitude, longitude], {radius: acc, color: "#1f78b4", weight: 1, fillOpacity: 0.12,
                                                       interactive: false}).addTo(map);
    clearError("location");
    draftSave();
    afterPlace();
  }
  map.on("click", function (e) {
    if (map.getZoom() < cfg.tap_min_zoom) {
      mapStatus.textContent = text.zoom_in;
      mapStatus.dataset.state = "zoom-in";
      map.setView(e.latlng, cfg.tap_min_zoom);
      return;
    }
    mapStatus.textContent = "";
    mapStatus.dataset.state = "placed";
    setPoint(e.latlng.lat, e.latlng.lng, null, false);
  });
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function () {
      var la = parseFloat(lat.value), lo = parseFloat(lon.value);
      if (isFinite(la) && isFinite(lo)) { setPoint(la, lo, null, true); map.setView([la, lo], 15); }
    });
  });

  /* GPS: searching -> found (accuracy circle) | denied | timeout | unavailable */
  var locate = document.getElementById("use-location");
  function gpsState(state, message) {
    locate.dataset.state = state;
    locate.disabled = state === "searching";
    locate.textContent = state === "searching" ? text.locating : text.use_location;
    mapStatus.textContent = message || "";
    mapStatus.dataset.state = "gps-" + state;
  }
  locate.addEventListener("click", function () {
    if (!navigator.geolocation) { gpsState("unavailable", text.locate_failed); return; }
    gpsState("searching", text.locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var acc = pos.coords.accuracy;
      gpsState("found", fmt(text.located, {m: Math.round(acc)}));
      setPoint(pos.coords.latitude, pos.coords.longitude, acc, false);
      map.setView([pos.coords.latitude, pos.coords.longitude], acc > 500 ? 14 : 17);
    }, function (err) {
      if (err.code === 1) gpsState("denied", text.locate_denied);
      else if (err.code === 3) gpsState("timeout", text.locate_timeout);
      else gpsState("unavailable", text.locate_failed);
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });

  /* Place search: desa, kecamatan, places the service holds */
  var placeQ = document.getElementById("place-q"), placeResults = document.getElementById("place-results");
  function placeSearch() {
    var q = placeQ.value.trim();
    if (q.length < 2) return;
    placeResults.innerHTML = "<li>" + KR.escape(text.searching) + "</li>";
    KR.fetchJSON(cfg.search_url + "?q=" + encodeURIComponent(q)).then(function (r) {
      var items = r.ok && r.body ? r.body.results : [];
      placeResults.innerHTML = items.length ? "" : "<li>" + KR.escape(text.search_none) + "</li>";
      items.slice(0, 6).forEach(function (item) {
        var li = document.createElement("li"), button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = item.name + (item.parent ? " (" + item.parent + ")" : "");
        button.addEventListener("click", function () {
          if (item.bbox) map.fitBounds([[item.bbox[1], item.bbox[0]], [item.bbox[3], item.bbox[2]]]);
          else if (item.point) map.setView([item.point[1], item.point[0]], 17);
          placeResults.innerHTML = "";
          document.getElementById("lapor-map").scrollIntoView({block: "center"});
        });
        li.appendChild(button);
        placeResults.appendChild(li);
      });
    }, function () { placeResults.innerHTML = "<li>" + KR.escape(text.network) + "</li>"; });
  }
  document.getElementById("place-go").addEventListener("click", placeSearch);
  placeQ.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); placeSearch(); } });

  /* --- Category: emergency numbers, what becomes public -------------------- */
  function categoryChanged() {
    var c = categories[category.value];
    document.getElementById("photo-required").hidden = !(c && c.photo_required);
    var emergency = document.getElementById("emergency");
    if (c && c.emergency.length) {
      document.getElementById("emergency-numbers").innerHTML = c.emergency.map(function (e) {
        return "<a class=\"button tel\" href=\"tel:" + KR.escape(e.number) + "\">" + KR.escape(e.number) + "</a> " +
               KR.escape(e.label);
      }).join("<br>");
      emergency.hidden = false;
    } else emergency.hidden = true;
    var note = document.getElementById("public-note");
    note.textContent = c ? c.public : "";
    note.hidden = !c;
    if (category.value) clearError("category");
  }
  category.addEventListener("change", function () { categoryChanged(); draftSave(); afterPlace(); });

  /* --- Where it goes, and similar reports nearby -------------------------- */
  var route = document.getElementById("route");
  function afterPlace() {
    loadCandidates();
    if (!category.value || !lat.value || !lon.value) { route.hidden = true; return; }
    route.hidden = false;
    route.textContent = text.route_loading;
    KR.fetchJSON("/lapor/tujuan.json?category=" + encodeURIComponent(category.value) + "&lon=" +
                 encodeURIComponent(lon.value) + "&lat=" + encodeURIComponent(lat.value)).then(function (r) {
      if (!r.ok || !r.body) { route.textContent = (r.body && r.body.message) || ""; return; }
      route.innerHTML = KR.escape(text.route_desa) + ": <strong>" + KR.escape(r.body.desa.name) + "</strong>" +
        (r.body.approximate ? " " + KR.escape(text.route_approximate) : "") +
        (r.body.kecamatan ? ", " + KR.escape(r.body.kecamatan.name) : "") + "<br>" +
        KR.escape(text.route_agency) + ": <strong>" +
        KR.escape(r.body.agency ? r.body.agency.name : text.triage) + "</strong>";
    }, function () { route.textContent = ""; });
  }

  function distance(m) {
    return m >= 1000 ? fmt(text.km, {n: (m / 1000).toFixed(1)}) : fmt(text.meters, {n: Math.round(m)});
  }
  function loadCandidates() {
    var box = document.getElementById("candidates"), list = document.getElementById("candidates-list");
    if (!category.value || !lat.value || !lon.value) { box.hidden = true; return; }
    var url = "/api/v1/reports/candidates?category=" + encodeURIComponent(category.value) +
              "&lon=" + encodeURIComponent(lon.value) + "&lat=" + encodeURIComponent(lat.value);
    KR.fetchJSON(url).then(function (r) {
      var items = r.ok && Array.isArray(r.body) ? r.body : [];
      list.innerHTML = "";
      if (!items.length) { box.hidden = true; return; }
      items.slice(0, 5).forEach(function (c) {
        var cat = categories[c.category && c.category.code] || {};
        var name = cat.name || (c.category && c.category.name_id) || "";
        var li = document.createElement("li");
        li.className = "candidate";
        li.innerHTML = "<span class=\"thumb\" aria-hidden=\"true\">" + KR.escape(cat.icon || "📍") + "</span>" +
          "<span class=\"what\"><strong>" + KR.escape(name) + "</strong><br>" +
          KR.escape(distance(c.distance_m || 0)) + " · " + KR.escape(statusLabels[c.status] || c.status) +
          (c.description ? "<br><span class=\"hint\">" + KR.escape(c.description.slice(0, 120)) + "</span>" : "") +
          "<br><span class=\"supporters\">" + KR.escape(fmt(text.supported_count || "%(n)s", {n: c.supporters_count})) +
          "</span></span>";
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary support";
        button.textContent = text.support_button;
        button.addEventListener("click", function () { support(c, li, button); });
        li.appendChild(button);
        list.appendChild(li);
      });
      box.hidden = false;
    }, function () { box.hidden = true; /* no signal: nothing to show */ });
  }
  function support(c, li, button) {
    button.disabled = true;
    KR.fetchJSON("/dukung/", {method: "POST", headers: {"Content-Type": "application/json",
                                                        "X-CSRFToken": KR.csrfToken()},
                             body: JSON.stringify({report: c.id, device_secret: KR.deviceSecret()})}).then(function (r) {
      var note = document.createElement("p");
      note.setAttribute("role", "status");
      if (r.ok && r.body) {
        note.className = "success";
        note.textContent = fmt(text.supported, {n: r.body.supporters_count});
        li.querySelector(".supporters").textContent = fmt(text.supported_count || "%(n)s", {n: r.body.supporters_count});
        li.dataset.supported = "1";
      } else {
        note.className = "error";
        note.textContent = (r.body && r.body.message) || text.support_failed;
        button.disabled = false;
      }
      li.appendChild(note);
    }, function () { button.disabled = false; });
  }

  /* --- Photos: downscale on the phone, preview, keep in the draft ---------- */
  var photos = [];  /* [{blob, name, url}] */
  var photoInput = document.getElementById("photo"), previews = document.getElementById("photo-previews");
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, {imageOrientation: "from-image"}).catch(function () { return createImageBitmap(file); });
    }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }
  function encode(img, edge, quality) {
    var w = img.width, h = img.height, scale = Math.min(1, edge / Math.max(w, h));
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }
  function downscale(file) {
    return decode(file).then(function (img) {
      if (Math.max(img.width, img.height) <= LONG_EDGE && file.size <= PHOTO_BUDGET && /jpe?g$/i.test(file.type)) {
        return file;
      }
      var steps = [[LONG_EDGE, 0.82], [LONG_EDGE, 0.7], [LONG_EDGE, 0.6], [1280, 0.6], [1280, 0.5], [1024, 0.5]];
      function attempt(i) {
        return encode(img, steps[i][0], steps[i][1]).then(function (blob) {
          return blob.size <= PHOTO_BUDGET || i === steps.length - 1 ? blob : attempt(i + 1);
        });
      }
      return attempt(0);
    });
  }
  function renderPreviews() {
    previews.innerHTML = "";
    photos.forEach(function (p, i) {
      if (!p.url) p.url = URL.createObjectURL(p.blob);
      var li = document.createElement("li"), img = document.createElement("img"), remove = document.createElement("button");
      img.src = p.url; img.alt = p.name; img.className = "preview";
      remove.type = "button"; remove.className = "secondary"; remove.textContent = text.photo_remove;
      remove.setAttribute("aria-label", text.photo_remove + " " + (i + 1));
      remove.addEventListener("click", function () { photos.splice(i, 1); renderPreviews(); photosSave(); });
      li.appendChild(img); li.appendChild(remove);
      previews.appendChild(li);
    });
    previews.dataset.count = String(photos.length);
  }
  photoInput.addEventListener("change", function () {
    clearError("photo");
    var files = Array.prototype.slice.call(photoInput.files);
    if (photos.length + files.length > MAX_PHOTOS) showError("photo", text.photos_max);
    files = files.slice(0, Math.max(0, MAX_PHOTOS - photos.length));
    photoInput.value = "";
    Promise.all(files.map(function (f) {
      return downscale(f).then(function (blob) { return {blob: blob, name: f.name}; },
                               function () { showError("photo", text.photo_failed); return null; });
    })).then(function (done) {
      done.forEach(function (p) { if (p) photos.push(p); });
      renderPreviews();
      photosSave();
    });
  });

  /* --- Errors ------------------------------------------------------------- */
  function fieldBox(name) { return form.querySelector("[data-field=\"" + name + "\"]"); }
  function showError(name, message) {
    var el = document.getElementById(name + "-error");
    if (!el) { name = "form"; el = document.getElementById("form-error"); }
    el.textContent = message; el.hidden = false;
    var box = fieldBox(name);
    if (box) box.classList.add("has-error");
  }
  function clearError(name) {
    var el = document.getElementById(name + "-error");
    if (el) { el.hidden = true; el.textContent = ""; }
    var box = fieldBox(name);
    if (box) box.classList.remove("has-error");
  }
  function clearAll() {
    ["category", "location", "description", "photo"].forEach(clearError);
    var general = document.getElementById("form-error");
    general.hidden = true; general.textContent = "";
  }
  var apiField = {category: "category", lon: "location", lat: "location", location: "location",
                  accuracy_m: "location", description: "description", photo: "photo", photo_2: "photo",
                  photo_3: "photo"};

  function validate() {
    var ok = true;
    if (!category.value) { showError("category", text.required_category); ok = false; }
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (!lat.value || !lon.value) { showError("location", text.required_location); ok = false; }
    else if (!isFinite(la) || !isFinite(lo) || Math.abs(la) > 90 || Math.abs(lo) > 180) {
      showError("location", text.invalid_location); ok = false;
    }
    if (description.value.trim().length < 10) { showError("description", text.required_description); ok = false; }
    var c = categories[category.value];
    if (c && c.photo_required && !photos.length) { showError("photo", text.required_photo); ok = false; }
    return ok;
  }

  /* --- Sending, with progress; the draft stays until the answer is read ---- */
  var upload = document.getElementById("upload"), bar = document.getElementById("upload-progress");
  var uploadLabel = document.getElementById("upload-label");
  function sending(on) {
    submit.disabled = on;
    submit.textContent = on ? text.sending : text.send;
    upload.hidden = !on;
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearAll();
    if (!validate()) {
      var first = form.querySelector(".has-error select, .has-error textarea, .has-error input");
      if (first) first.focus();
      return;
    }
    draftSave();
    var data = new FormData();
    data.append("id", idInput.value);
    data.append("category", category.value);
    data.append("lon", lon.value);
    data.append("lat", lat.value);
    if (accuracy.value) data.append("accuracy_m", accuracy.value);
    data.append("description", description.value.trim());
    data.append("confidential", confidential.checked ? "true" : "false");
    data.append("anonymous", anonymous && anonymous.checked ? "true" : "false");
    data.append("channel", "web");
    photos.forEach(function (p, i) {
      data.append(i === 0 ? "photo" : "photo_" + (i + 1), p.blob, (p.name || "foto").replace(/\.\w+$/, "") + ".jpg");
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/reports/");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "id");
    xhr.setRequestHeader("X-CSRFToken", KR.csrfToken());
    xhr.setRequestHeader("X-Device-Secret", KR.deviceSecret());
    xhr.upload.onprogress = function (ev) {
      if (!ev.lengthComputable) return;
      var p = Math.round(100 * ev.loaded / ev.total);
      bar.value = p;
      uploadLabel.textContent = fmt(text.uploading, {p: p});
    };
    xhr.onload = function () {
      sending(false);
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.tracking_code) { done(body); return; }
      if (xhr.status === 202 && body && body.code === "queued") { queued(body); return; }
      if (xhr.status === 429) {
        var wait = parseInt(xhr.getResponseHeader("Retry-After") || "0", 10);
        showError("form", wait ? fmt(text.throttled, {wait: waitWords(wait)}) : (body && body.message) || text.failed);
        return;
      }
      body = body || {};
      var fields = body.fields || {}, shown = false;
      Object.keys(fields).forEach(function (name) {
        showError(apiField[name] || "form", [].concat(fields[name]).join(" "));
        shown = true;
      });
      if (!shown) showError("form", body.message || text.failed);
      else { var g = document.getElementById("form-error"); if (g.hidden) showError("form", text.failed); }
    };
    xhr.onerror = xhr.ontimeout = function () { sending(false); showError("form", text.network); };
    bar.value = 0;
    uploadLabel.textContent = fmt(text.uploading, {p: 0});
    sending(true);
    xhr.send(data);
  });

  /* "7 Des 2026" / "7 Dec 2026": the pages' one date format (config/formats) */
  function dateText(iso) {
    var parts = String(iso).split("-");
    if (parts.length !== 3 || !window.Intl) return iso;
    var d = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    var lang = document.documentElement.lang === "en" ? "en-GB" : "id-ID";
    return new Intl.DateTimeFormat(lang, {day: "numeric", month: "short", year: "numeric", timeZone: "UTC"})
      .format(d).replace(/\./g, "");
  }

  function done(report) {
    draftClear();
    var box = document.getElementById("lapor-result");
    var agency = report.agency ? report.agency.name : text.triage;
    box.innerHTML = "<p>" + KR.escape(text.sent) + "</p><p class=\"code\" id=\"tracking-code\">" +
      KR.escape(report.tracking_code) + "</p><p>" +
      (report.desa ? KR.escape(text.desa) + ": " + KR.escape(report.desa.name) + "<br>" : "") +
      KR.escape(text.agency) + ": " + KR.escape(agency) +
      (report.deadline ? "<br>" + KR.escape(text.deadline) + ": " + KR.escape(dateText(report.deadline)) : "") +
      "</p><p><a class=\"button\" href=\"/lacak/" + encodeURIComponent(report.tracking_code) + "/\">" +
      KR.escape(text.track) + "</a> <a href=\"\">" + KR.escape(text.another) + "</a></p>";
    box.hidden = false;
    form.hidden = true;
    document.getElementById("draft-notice").hidden = true;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  /* Offline: the service worker kept the report on the phone and sends it
     with the same id when there is signal (offline/static/offline/sw.js). */
  function queued(body) {
    draftClear();
    var box = document.getElementById("lapor-result");
    box.innerHTML = "<p id=\"queued\">" + KR.escape(body.message) + "</p><p><a href=\"\">" +
      KR.escape(text.another) + "</a></p>";
    box.hidden = false;
    form.hidden = true;
    document.getElementById("draft-notice").hidden = true;
    document.dispatchEvent(new CustomEvent("kr:queued"));
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  /* --- Restore a draft ----------------------------------------------------- */
  [description, confidential, anonymous].forEach(function (el) {
    if (el) el.addEventListener("input", draftSave);
    if (el) el.addEventListener("change", draftSave);
  });
  var saved = null;
  try { saved = JSON.parse(load(DRAFT) || "null"); } catch (e) { saved = null; }
  photosLoad().then(function (stored) {
    stored.forEach(function (p) { if (p && p.blob) photos.push({blob: p.blob, name: p.name}); });
    renderPreviews();
    var restored = stored.length > 0;
    if (saved) {
      if (saved.category && categories[saved.category]) { category.value = saved.category; categoryChanged(); restored = true; }
      if (saved.description) { description.value = saved.description; restored = true; }
      confidential.checked = !!saved.confidential;
      if (anonymous) anonymous.checked = !!saved.anonymous;
      if (saved.lat && saved.lon) {
        lat.value = saved.lat; lon.value = saved.lon;
        setPoint(parseFloat(saved.lat), parseFloat(saved.lon), parseFloat(saved.accuracy) || null, true);
        map.setView([parseFloat(saved.lat), parseFloat(saved.lon)], 16);
        restored = true;
      }
    }
    if (restored) {
      var notice = document.getElementById("draft-notice");
      notice.querySelector("span").textContent = text.draft_restored;
      notice.hidden = false;
    }
    form.dataset.ready = "1";
  });
  document.getElementById("draft-discard").addEventListener("click", function () {
    draftClear();
    window.location.reload();
  });
})();
