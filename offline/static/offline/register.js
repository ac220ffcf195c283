/* Installs the service worker (/sw.js) and wipes what this phone keeps for a
   signed-in user when they sign out. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function (reg) {
      if (navigator.onLine && reg.active) { reg.active.postMessage({type: "flush"}); }
    }).catch(function () {});
  });
  window.addEventListener("online", function () {
    navigator.serviceWorker.ready.then(function (reg) { reg.active && reg.active.postMessage({type: "flush"}); });
  });
  document.addEventListener("submit", function (event) {
    var action = event.target.getAttribute("action") || "";
    if (/\/keluar\/?$/.test(action) && window.KROffline) { window.KROffline.wipe(); }
  }, true);
})();
