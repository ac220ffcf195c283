/* "Laporan saya": the reports filed from this phone without an account
   (asked with the phone's secret; residents.views.laporan_saya_perangkat). */
(function () {
  "use strict";
  var section = document.getElementById("device-section");
  if (!section || section.hidden) return;
  var list = document.getElementById("device-list"), loading = document.getElementById("device-loading");
  KR.fetchJSON("/laporan-saya/perangkat.json", {method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": KR.csrfToken()},
      body: JSON.stringify({device_secret: KR.deviceSecret()})}).then(function (r) {
    loading.hidden = true;
    var rows = r.ok && r.body ? r.body.results : [];
    if (!rows.length) { loading.textContent = section.dataset.empty; loading.hidden = false; return; }
    rows.forEach(function (row) {
      var li = document.createElement("li");
      li.innerHTML = "<a class=\"code\" href=\"" + KR.escape(row.url) + "\">" + KR.escape(row.tracking_code) +
        "</a> · " + KR.escape(row.category_name) + " · <span class=\"status\">" + KR.escape(row.status_label) + "</span>";
      list.appendChild(li);
    });
  }, function () { loading.hidden = true; });
})();
