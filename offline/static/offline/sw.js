/* Service worker of the Kubu Raya app (served at /sw.js, scope /).
   - The app shell (__SHELL__) is cached at install, so the report form, the
     crew's offline page and the fallback open with no network.
   - Pages: network first, the cached copy when offline (with the time it was
     cached in the X-KR-Cached-At header), else /offline/.
   - Static files: cache first (their names carry a hash in production).
   - Basemap and photo caches are filled by the pages (offline.js) under a
     byte budget; here they are only read.
   - A report POSTed while offline is kept in IndexedDB (kr-sw / outbox) and
     sent again, with the same client UUID, on Background Sync, on the next
     start, or when a page says "flush": the server stores it once. */
"use strict";
var VERSION = "__VERSION__";
var SHELL = __SHELL__;
var SHELL_CACHE = VERSION + "-shell";
var PAGE_CACHE = VERSION + "-pages";

function idb() {
  return new Promise(function (resolve, reject) {
    var open = indexedDB.open("kr-sw", 1);
    open.onupgradeneeded = function () { open.result.createObjectStore("outbox", {keyPath: "key"}); };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });
}
function store(mode, fn) {
  return idb().then(function (db) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction("outbox", mode), result;
      result = fn(tx.objectStore("outbox"));
      tx.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
      tx.onerror = function () { reject(tx.error); };
    });
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return Promise.all(SHELL.map(function (url) {
      return cache.add(new Request(url, {credentials: "same-origin"})).catch(function () { /* kept trying on use */ });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("kr-offline-") === 0 && k.indexOf(VERSION) !== 0;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }).then(flush));
});

function stamp(response) {
  var headers = new Headers(response.headers);
  headers.set("X-KR-Cached-At", new Date().toISOString());
  return response.blob().then(function (body) {
    return new Response(body, {status: response.status, statusText: response.statusText, headers: headers});
  });
}

function pageFetch(request) {
  return fetch(request).then(function (response) {
    if (response.ok && (response.headers.get("Cache-Control") || "").indexOf("no-store") < 0) {
      var copy = response.clone();
      stamp(copy).then(function (stamped) {
        caches.open(PAGE_CACHE).then(function (cache) { cache.put(request, stamped); });
      });
    }
    return response;
  }).catch(function () {
    return caches.match(request, {ignoreSearch: false}).then(function (hit) {
      return hit || caches.match(request, {ignoreSearch: true});
    }).then(function (hit) {
      return hit || caches.match("/offline/");
    });
  });
}

function queueReport(request) {
  return request.clone().formData().catch(function () { return null; }).then(function (form) {
    var entries = [];
    if (form) { form.forEach(function (value, name) { entries.push([name, value]); }); }
    return (form ? Promise.resolve(null) : request.clone().text()).then(function (text) {
      var id = form ? form.get("id") : (function () { try { return JSON.parse(text).id; } catch (e) { return null; } })();
      var item = {key: id || String(Date.now()), url: request.url, entries: entries, text: text,
                  contentType: request.headers.get("Content-Type"),
                  csrf: request.headers.get("X-CSRFToken"), queuedAt: new Date().toISOString()};
      return store("readwrite", function (s) { return s.put(item); }).then(function () {
        if (self.registration.sync) { self.registration.sync.register("kr-outbox").catch(function () {}); }
        return new Response(JSON.stringify({
          code: "queued", id: id,
          message: "Laporan tersimpan di ponsel dan akan dikirim otomatis saat ada sinyal. / " +
                   "Saved on this phone; it will be sent automatically when there is signal."}),
          {status: 202, headers: {"Content-Type": "application/json"}});
      });
    });
  });
}

function flush() {
  return store("readonly", function (s) { return s.getAll(); }).then(function (items) {
    return items.reduce(function (chain, item) {
      return chain.then(function () {
        var body, headers = {};
        if (item.entries && item.entries.length) {
          body = new FormData();
          item.entries.forEach(function (e) { body.append(e[0], e[1]); });
        } else {
          body = item.text;
          if (item.contentType) { headers["Content-Type"] = item.contentType; }
        }
        if (item.csrf) { headers["X-CSRFToken"] = item.csrf; }
        return fetch(item.url, {method: "POST", body: body, headers: headers, credentials: "same-origin"})
          .then(function (response) {
            // Stored (201), a retry of a stored one (200), or refused for good
            // (4xx other than 408/429): either way it leaves the queue.
            if (response.status < 500 && response.status !== 408 && response.status !== 429) {
              return store("readwrite", function (s) { return s.delete(item.key); }).then(function () {
                return response.clone().json().catch(function () { return {}; }).then(function (data) {
                  return self.clients.matchAll().then(function (clients) {
                    clients.forEach(function (c) {
                      c.postMessage({type: "report-sent", id: item.key, status: response.status, data: data});
                    });
                  });
                });
              });
            }
          }).catch(function () { /* still offline: kept */ });
      });
    }, Promise.resolve());
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "kr-outbox") { event.waitUntil(flush()); }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "flush") { event.waitUntil(flush()); }
  if (data.type === "wipe") {
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("kr-private") === 0 || k.indexOf(PAGE_CACHE) === 0; })
        .map(function (k) { return caches.delete(k); }));
    }));
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    // Basemap tiles saved for offline use: from the cache when there.
    if (request.method === "GET" && request.destination === "image") {
      event.respondWith(caches.match(request, {ignoreVary: true}).then(function (hit) { return hit || fetch(request); }));
    }
    return;
  }
  if (request.method === "POST" && url.pathname === "/api/v1/reports/") {
    event.respondWith(fetch(request.clone()).catch(function () { return queueReport(request); }));
    return;
  }
  if (request.method !== "GET") { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(SHELL_CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/api/v1/reports/") === 0 && url.pathname.indexOf("/photos/") > 0) {
    event.respondWith(caches.open("kr-private-photos").then(function (cache) {
      return cache.match(request, {ignoreVary: true}).then(function (hit) { return hit || fetch(request); });
    }));
    return;
  }
  if (request.mode === "navigate" || url.pathname === "/api/v1/categories/" ||
      url.pathname.indexOf("/peta/wilayah/") === 0) {
    event.respondWith(pageFetch(request));
  }
});
