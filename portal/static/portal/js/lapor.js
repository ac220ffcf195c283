/* The report form /lapor/: category, location (tap, phone or typed),
   nearby open reports of the same category, then POST /api/v1/reports/ with a
   client-generated id so that a retry after a lost answer creates nothing new. */
(function () {
  "use strict";
  var cfg = KR.config();
  var text = KR.config("lapor-text");
  var form = document.getElementById("lapor-form");
  var idInput = document.getElementById("report-id");
  var category = document.getElementById("category");
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  var accuracy = document.getElementById("accuracy_m");
  var submit = document.getElementById("submit");
  var categories = {};

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  /* One id per report being written: kept across retries, renewed after success. */
  idInput.value = sessionStorage.getItem("kr-report-id") || newId();
  sessionStorage.setItem("kr-report-id", idInput.value);
  /* A secret of this device: an anonymous retry proves with it that it is the
     same submitter (anyone else sending the same id gets 409). */
  var deviceSecret = localStorage.getItem("kr-device-secret") || (newId() + newId()).replace(/-/g, "");
  localStorage.setItem("kr-device-secret", deviceSecret);

  var made = KR.baseMap("lapor-map", cfg);
  var map = made.map;
  KR.map = map;  /* as on /peta/: for the browser tests and the console */
  var marker = null;
  KR.expect("boundaries");
  KR.fetchJSON(cfg.boundaries.kecamatan).then(function (r) {
    if (r.ok) L.geoJSON(r.body, {style: {color: "#0d4f8b", weight: 1.5, fill: false}, interactive: false}).addTo(map);
    KR.done("boundaries");
  });

  function setPoint(latitude, longitude, acc, fromInputs) {
    if (!fromInputs) { lat.value = latitude.toFixed(6); lon.value = longitude.toFixed(6); }
    accuracy.value = acc ? Math.round(acc) : "";
    if (marker) marker.setLatLng([latitude, longitude]);
    else marker = L.marker([latitude, longitude], {keyboard: false}).addTo(map);
    clearError("location");
    loadCandidates();
  }
  map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, null, false); });
  [lat, lon].forEach(function (input) {
    input.addEventListener("change", function () {
      var la = parseFloat(lat.value), lo = parseFloat(lon.value);
      if (isFinite(la) && isFinite(lo)) { setPoint(la, lo, null, true); map.setView([la, lo], 15); }
    });
  });
  document.getElementById("use-location").addEventListener("click", function () {
    var button = this;
    if (!navigator.geolocation) { showError("location", text.locate_failed); return; }
    button.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      button.textContent = button.dataset.label || button.textContent;
      setPoint(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy, false);
      map.setView([pos.coords.latitude, pos.coords.longitude], 16);
    }, function () {
      showError("location", text.locate_failed);
    }, {enableHighAccuracy: true, timeout: 15000});
  });

  KR.fetchJSON("/api/v1/categories/").then(function (r) {
    var list = r.body && (r.body.results || r.body);
    (Array.isArray(list) ? list : []).forEach(function (c) {
      categories[c.code] = c;
      var option = document.createElement("option");
      option.value = c.code;
      option.textContent = document.documentElement.lang === "en" && c.name_en ? c.name_en : c.name_id;
      category.appendChild(option);
    });
    category.dataset.loaded = "1";
  });
  category.addEventListener("change", function () {
    var c = categories[category.value];
    document.getElementById("photo-required").hidden = !(c && c.photo_required);
    if (category.value) clearError("category");
    loadCandidates();
  });

  function loadCandidates() {
    var box = document.getElementById("candidates"), list = document.getElementById("candidates-list");
    if (!category.value || !lat.value || !lon.value) { box.hidden = true; return; }
    var url = "/api/v1/reports/candidates?category=" + encodeURIComponent(category.value) +
              "&lon=" + encodeURIComponent(lon.value) + "&lat=" + encodeURIComponent(lat.value);
    KR.fetchJSON(url).then(function (r) {
      var items = r.ok && r.body ? (r.body.results || r.body.candidates || r.body) : [];
      if (!Array.isArray(items) || !items.length) { box.hidden = true; list.innerHTML = ""; return; }
      list.innerHTML = "";
      items.slice(0, 5).forEach(function (c) {
        var li = document.createElement("li");
        var distance = c.distance_m != null ? " · " + Math.round(c.distance_m) + " m" : "";
        li.innerHTML = KR.escape(c.category_name || c.category || "") + distance + " · " +
          KR.escape(c.status_label || c.status || "") +
          (c.tracking_code ? " · <a href=\"/lacak/" + encodeURIComponent(c.tracking_code) + "/\">" +
           KR.escape(text.support) + " " + KR.escape(c.tracking_code) + "</a>" : "");
        list.appendChild(li);
      });
      box.hidden = false;
    });
  }

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
                  accuracy_m: "location", description: "description", photo: "photo"};

  function validate() {
    var ok = true;
    if (!category.value) { showError("category", text.required_category); ok = false; }
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (!lat.value || !lon.value) { showError("location", text.required_location); ok = false; }
    else if (!isFinite(la) || !isFinite(lo) || Math.abs(la) > 90 || Math.abs(lo) > 180) {
      showError("location", text.invalid_location); ok = false;
    }
    if (document.getElementById("description").value.trim().length < 10) {
      showError("description", text.required_description); ok = false;
    }
    var c = categories[category.value];
    if (c && c.photo_required && !document.getElementById("photo").files.length) {
      showError("photo", text.required_photo); ok = false;
    }
    return ok;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearAll();
    if (!validate()) {
      var first = form.querySelector(".has-error select, .has-error textarea, .has-error input");
      if (first) first.focus();
      return;
    }
    var data = new FormData();
    data.append("id", idInput.value);
    data.append("category", category.value);
    data.append("lon", lon.value);
    data.append("lat", lat.value);
    if (accuracy.value) data.append("accuracy_m", accuracy.value);
    data.append("description", document.getElementById("description").value.trim());
    data.append("confidential", document.getElementById("confidential").checked ? "true" : "false");
    data.append("anonymous", document.getElementById("anonymous").checked ? "true" : "false");
    data.append("channel", "web");
    data.append("device_secret", deviceSecret);
    var photo = document.getElementById("photo").files[0];
    if (photo) data.append("photo", photo);
    submit.disabled = true;
    submit.textContent = text.sending;
    KR.fetchJSON("/api/v1/reports/", {method: "POST", body: data, headers: {"X-CSRFToken": KR.csrfToken()}})
      .then(function (r) {
        submit.disabled = false;
        submit.textContent = text.send;
        if (r.ok && r.body && r.body.tracking_code) { done(r.body); return; }
        var body = r.body || {};
        var fields = body.fields || {};
        var shown = false;
        Object.keys(fields).forEach(function (name) {
          var messages = [].concat(fields[name]).join(" ");
          showError(apiField[name] || "form", messages);
          shown = true;
        });
        if (!shown) showError("form", body.message || text.failed);
        else { var g = document.getElementById("form-error"); if (g.hidden) showError("form", text.failed); }
      }, function () {
        submit.disabled = false;
        submit.textContent = text.send;
        showError("form", text.network);
      });
  });

  function done(report) {
    sessionStorage.removeItem("kr-report-id");
    var box = document.getElementById("lapor-result");
    var agency = report.agency ? report.agency.name : text.triage;
    box.innerHTML = "<p>" + KR.escape(text.sent) + "</p><p class=\"code\" id=\"tracking-code\">" +
      KR.escape(report.tracking_code) + "</p><p>" +
      (report.desa ? KR.escape(text.desa) + ": " + KR.escape(report.desa.name) + "<br>" : "") +
      KR.escape(text.agency) + ": " + KR.escape(agency) +
      (report.deadline ? "<br>" + KR.escape(text.deadline) + ": " + KR.escape(report.deadline) : "") +
      "</p><p><a class=\"button\" href=\"/lacak/" + encodeURIComponent(report.tracking_code) + "/\">" +
      KR.escape(text.track) + "</a> <a href=\"\">" + KR.escape(text.another) + "</a></p>";
    box.hidden = false;
    form.hidden = true;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }
})();
