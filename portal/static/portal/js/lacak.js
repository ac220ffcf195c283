/* The tracking page: copy / share the code; the public-precision point on a
   small map; for the phone that filed the report, its description and photos
   and the "is it fixed?" / dispute forms (residents.views.lacak_pelapor). */
(function () {
  "use strict";
  var text = KR.config("lacak-text");
  var status = document.getElementById("copy-status");
  var copy = document.getElementById("copy-code"), share = document.getElementById("share");
  if (copy) copy.addEventListener("click", function () {
    var code = copy.dataset.code;
    var ok = function () { status.textContent = text.copied; };
    var fail = function () { status.textContent = text.copy_failed; };
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(code).then(ok, fail);
    else fail();
  });
  if (share) {
    share.addEventListener("click", function () {
      var url = share.dataset.url;
      if (navigator.share) {
        navigator.share({title: text.share_title, text: copy.dataset.code, url: url})
          .then(function () { status.textContent = text.shared; }, function () {});
      } else if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(function () { status.textContent = text.copied; },
                                                function () { status.textContent = text.copy_failed; });
      } else { window.prompt(text.share_title, url); }
    });
  }
  var point = document.getElementById("public-point");
  if (point && window.L) {
    var p = JSON.parse(point.textContent);
    var map = L.map("lacak-map", {zoomControl: true}).setView([p.lat, p.lon], 15);
    var cfg = KR.config("map-config");
    if (cfg.basemap && cfg.basemap.url) L.tileLayer(cfg.basemap.url, {maxZoom: 19, attribution: cfg.basemap.attribution}).addTo(map);
    L.circleMarker([p.lat, p.lon], {radius: 9, color: "#0d4f8b", weight: 3}).addTo(map);
  }
  var secret = KR.deviceSecret();
  Array.prototype.forEach.call(document.querySelectorAll("input.device-secret"), function (i) { i.value = secret; });
  // Each answer carries an id made now: sent again (the phone's outbox when
  // it was pressed offline), the server applies it once.
  Array.prototype.forEach.call(document.querySelectorAll("#follow-box form, #confirm-form, #dispute-form"), function (f) {
    if (!window.crypto || !crypto.randomUUID || f.querySelector("input[name=client_id]")) return;
    var id = document.createElement("input");
    id.type = "hidden"; id.name = "client_id"; id.value = crypto.randomUUID();
    f.appendChild(id);
  });
  var box = document.getElementById("reporter-box");
  var desc = document.getElementById("description");
  if (box && box.hidden || !desc) {
    KR.fetchJSON(box ? box.dataset.url : location.pathname + "pelapor.json", {method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRFToken": KR.csrfToken()},
        body: JSON.stringify({device_secret: secret})}).then(function (r) {
      if (!r.ok || !r.body) return;
      if (box) {
        box.hidden = false;
        var dispute = document.getElementById("dispute-form");
        if (dispute) dispute.hidden = !r.body.can_dispute;
      }
      var hint = document.getElementById("reporter-hint");
      if (hint) hint.hidden = true;
      var photos = document.getElementById("own-photos");
      if (photos && !photos.children.length) {
        r.body.photos.concat(r.body.evidence).forEach(function (ph) {
          var fig = document.createElement("figure"), img = document.createElement("img");
          img.src = ph.url; img.width = ph.width; img.height = ph.height; img.loading = "lazy";
          img.alt = ph.kind === "evidence" ? text.evidence : text.photo;
          if (ph.kind === "evidence") img.className = "evidence";
          fig.appendChild(img);
          photos.appendChild(fig);
        });
      }
      if (!document.getElementById("description") && r.body.description) {
        var para = document.createElement("p"); para.id = "description"; para.textContent = r.body.description;
        photos.parentNode.insertBefore(para, photos);
      }
    });
  }
})();
