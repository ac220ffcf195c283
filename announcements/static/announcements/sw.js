/* Service worker of announcements: shows each pushed announcement as a
   notification; a click opens its page. */
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("push", function (e) {
  var data = {};
  try { data = e.data ? e.data.json() : {}; } catch (err) { data = {title: "Pengumuman", body: e.data ? e.data.text() : ""}; }
  e.waitUntil(self.registration.showNotification(data.title || "Pengumuman", {body: data.body || "", data: {url: data.url || "/pengumuman/"}}));
});
self.addEventListener("notificationclick", function (e) {
  e.notification.close();
  e.waitUntil(self.clients.openWindow(e.notification.data.url));
});
