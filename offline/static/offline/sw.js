/* Service worker of the Kubu Raya app (served at /sw.js, scope /).
   - The app shell (SHELL) is cached at install, so the report form, the
     crew's offline page and the fallback open with no network.
   - Pages: network first, the cached copy when offline (with the time it was
     cached in the X-KR-Cached-At header), else /offline/.
   - Static files: cache first (their names carry a hash in production).
   - Basemap (vector tiles) and photo caches are filled by the crew's page
     (offline.js) under a byte budget; here they are only read.
   - A signed-in user's pages are kept for <meta name="kr-private-hours">
     hours only (X-KR-Expires), then dropped (sweep).
   - A resident's answer on a tracking page (confirm, dispute, follow) posted
     offline waits in the outbox with its client id, like a report.
   - A report POSTed while offline is kept in IndexedDB (kr-sw / outbox) and
     sent again, with the same client UUID, on Background Sync ("kr-outbox"),
     when the worker starts, or when a page says "flush": the server stores
     it once. The crew's queued actions go the same way (sync.js, tag
     "kr-crew").
   - The words come from the server's catalogs (TEXT, one per language),
     chosen by each request's Accept-Language. */
"use strict";
var VERSION = "__VERSION__";
var SHELL = __SHELL__;
var TEXT = __TEXT__;
var SHELL_CACHE = VERSION + "-shell";
var PAGE_CACHE = VERSION + "-pages";
var BASEMAP_CACHE = VERSION + "-basemap";  // filled by offline.js
importScripts("__SYNC_JS__");

/* The words of a request's language (the pages send Accept-Language). */
function text(request) {
  var lang = ((request && request.headers.get("Accept-Language")) || "id").slice(0, 2).toLowerCase();
  return TEXT[lang] || TEXT.id;
}
function store(mode, fn) { return KRSync.sw("outbox", mode, fn); }

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return Promise.all(SHELL.map(function (url) {
      return fetch(new Request(url, {credentials: "same-origin"})).then(function (response) {
        if (!response.ok || response.redirected) { return; }  // e.g. the sign-in page instead
        return (url.indexOf("/static/") === 0 ? Promise.resolve(response) : stamp(response)).then(function (kept) {
          return cache.put(url, kept);
        });
      }).catch(function () { /* kept trying on use */ });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("kr-offline-") === 0 && k.indexOf(VERSION) !== 0;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }).then(function () {
    return Promise.all([flushAll().catch(function () {}), sweep().catch(function () {})]);
  }));
});

/* A copy to keep: the time it was taken in X-KR-Cached-At and, for a page,
   in <html data-kr-cached-at>, so the page can say how old it is. A page of
   a signed-in user (<meta name="kr-private-hours" content="72">) carries
   when it stops being served (X-KR-Expires): the phone drops it then. */
var PRIVATE_HOURS = /<meta name="kr-private-hours" content="(\d+)">/;
function stamp(response) {
  var now = new Date(), at = now.toISOString(), headers = new Headers(response.headers);
  headers.set("X-KR-Cached-At", at);
  headers.delete("Content-Length");
  var html = (headers.get("Content-Type") || "").indexOf("text/html") === 0;
  return (html ? response.text().then(function (body) {
    var hours = PRIVATE_HOURS.exec(body);
    if (hours) { headers.set("X-KR-Expires", new Date(now.getTime() + Number(hours[1]) * 3600e3).toISOString()); }
    return body.replace(/<html\b/i, '<html data-kr-cached-at="' + at + '"');
  }) : response.blob()).then(function (body) {
    return new Response(body, {status: response.status, statusText: response.statusText, headers: headers});
  });
}
self.KRStamp = stamp;

function expired(response) {
  var until = response && response.headers.get("X-KR-Expires");
  return !!until && Date.now() >= new Date(until).getTime();
}
/* A kept copy still good to serve (a signed-in user's page past its hours is not). */
function live(hit) { return hit && !expired(hit) ? hit : undefined; }

/* Drops every kept copy past its hours (on activate and on each page's open). */
function sweep() {
  return caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k === SHELL_CACHE || k === PAGE_CACHE; }).map(function (name) {
      return caches.open(name).then(function (cache) {
        return cache.keys().then(function (requests) {
          return Promise.all(requests.map(function (request) {
            return cache.match(request).then(function (hit) { if (expired(hit)) { return cache.delete(request); } });
          }));
        });
      });
    }));
  });
}

function keep(key, response) {
  if (response.ok && !response.redirected &&
      (response.headers.get("Cache-Control") || "").indexOf("no-store") < 0) {
    var copy = response.clone();
    return stamp(copy).then(function (stamped) {
      return caches.open(PAGE_CACHE).then(function (cache) { return cache.put(key, stamped); });
    }).catch(function () {});
  }
  return Promise.resolve();
}

function pageFetch(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    event.waitUntil(keep(request, response));
    return response;
  }).catch(function () {
    event.waitUntil(sweep().catch(function () {}));
    // The copy kept last (pages) before the one kept at install (shell).
    return caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(request, {ignoreVary: true});
    }).then(function (hit) {
      return live(hit) || caches.match(request, {ignoreSearch: false, ignoreVary: true}).then(live);
    }).then(function (hit) {
      return hit || caches.match(request, {ignoreSearch: true, ignoreVary: true}).then(live);
    }).then(function (hit) {
      return hit || caches.match("/offline/");
    });
  });
}

/* The JSON a page POSTs to read this phone's own reports ("Laporan saya",
   the reporter's view on a tracking page): the last answer is kept, so the
   page still shows it offline. */
function postReadFetch(event) {
  var request = event.request, key = new Request(request.url + "?kr-post=1");
  return fetch(request.clone()).then(function (response) {
    event.waitUntil(keep(key, response));
    return response;
  }).catch(function () {
    return caches.match(key, {ignoreVary: true}).then(function (hit) {
      return hit || new Response(JSON.stringify({code: "offline", message: text(request).offline_now}),
                                 {status: 503, headers: {"Content-Type": "application/json"}});
    });
  });
}

function queueReport(request) {
  return request.clone().formData().catch(function () { return null; }).then(function (form) {
    var entries = [];
    if (form) { form.forEach(function (value, name) { entries.push([name, value]); }); }
    return (form ? Promise.resolve(null) : request.clone().text()).then(function (body) {
      var id = form ? form.get("id") : (function () { try { return JSON.parse(body).id; } catch (e) { return null; } })();
      var item = {key: id || String(Date.now()), url: request.url, entries: entries, text: body,
                  category: form ? form.get("category") : null,
                  contentType: request.headers.get("Content-Type"),
                  csrf: request.headers.get("X-CSRFToken"),
                  deviceSecret: request.headers.get("X-Device-Secret"),
                  lang: request.headers.get("Accept-Language"),
                  queuedAt: new Date().toISOString()};
      return store("readwrite", function (s) { return s.put(item); }).then(function () {
        if (self.registration.sync) { return self.registration.sync.register("kr-outbox").catch(function () {}); }
      }).then(function () {
        return new Response(JSON.stringify({code: "queued", id: id, message: text(request).queued}),
                            {status: 202, headers: {"Content-Type": "application/json"}});
      });
    });
  });
}

/* A resident's answer on a tracking page (confirm "sudah beres", dispute,
   follow) posted with no network: kept in the outbox with its client id
   (kind "answer"; the form's CSRF token is left out, a fresh one goes with
   the send), and the browser is sent back to the tracking page (the phone's
   copy), which says it waits. A dispute shows as "Diproses (menunggu
   sinyal)" there meanwhile (the ledger). */
var ANSWER = /^\/lacak\/([^/]+)\/(konfirmasi|sanggah|ikuti)\/$/;
function queueAnswer(request) {
  var url = new URL(request.url), match = ANSWER.exec(url.pathname), code = decodeURIComponent(match[1]);
  return request.clone().formData().then(function (form) {
    if (!form.get("client_id")) { form.set("client_id", self.crypto.randomUUID()); }
    var entries = [];
    form.forEach(function (value, name) { if (name !== "csrfmiddlewaretoken") { entries.push([name, value]); } });
    var item = {key: form.get("client_id"), kind: "answer", action: match[2], code: code, url: request.url,
                entries: entries, follow: form.get("follow") !== "0",
                lang: request.headers.get("Accept-Language"), queuedAt: new Date().toISOString()};
    return store("readwrite", function (s) { return s.put(item); }).then(function () {
      if (item.action === "sanggah") {
        return KRSync.ledgerPut({code: code, status: "in_progress", at: item.queuedAt, pending: true});
      }
    }).then(function () {
      if (self.registration.sync) { return self.registration.sync.register("kr-outbox").catch(function () {}); }
    }).then(function () {
      return Response.redirect(url.origin + "/lacak/" + encodeURIComponent(code) + "/", 303);
    });
  });
}

function tell(message) {
  return self.clients.matchAll({includeUncontrolled: true}).then(function (clients) {
    clients.forEach(function (c) { c.postMessage(message); });
  });
}

/* Send the reports filed offline, oldest first, each with its own client
   UUID: the server stores a UUID once (a repeat answers 200 with the same
   report). One flush at a time: Background Sync, the page's "online" and a
   page opening may all ask at once. */
var flushing = null;
function flush(csrf) {
  if (!flushing) {
    flushing = flushOutbox(csrf);
    var clear = function () { flushing = null; };
    flushing.then(clear, clear);
  }
  return flushing;
}

function flushOutbox(csrf) {
  return store("readonly", function (s) { return s.getAll(); }).then(function (items) {
    items.sort(function (a, b) { return String(a.queuedAt).localeCompare(String(b.queuedAt)); });
    var failed = false;
    return items.reduce(function (chain, item) {
      return chain.then(function () {
        return KRSync.csrfToken(csrf).then(function (token) {
          var body, headers = {"Accept": "application/json"};
          if (item.entries && item.entries.length) {
            body = new FormData();
            item.entries.forEach(function (e) { body.append(e[0], e[1]); });
          } else {
            body = item.text;
            if (item.contentType) { headers["Content-Type"] = item.contentType; }
          }
          headers["X-CSRFToken"] = token || item.csrf || "";
          if (item.deviceSecret) { headers["X-Device-Secret"] = item.deviceSecret; }
          if (item.lang) { headers["Accept-Language"] = item.lang; }
          return fetch(item.url, {method: "POST", body: body, headers: headers, credentials: "same-origin"});
        }).then(function (response) {
          return response.clone().json().catch(function () { return {}; }).then(function (data) {
            // Kept for a later try: the server's trouble (5xx, 408, 429) and a
            // stale CSRF token (the next page open hands a fresh one).
            var csrfFailure = response.status === 403 && /csrf/i.test(String(data.message || data.detail || ""));
            if (response.status >= 500 || response.status === 408 || response.status === 429 || csrfFailure) {
              failed = true;
              return;
            }
            // Stored (201), a repeat of a stored one (200), or refused for good (4xx).
            var result = {key: item.key, status: response.status, at: new Date().toISOString(),
                          tracking_code: item.kind === "answer" ? null : data.tracking_code || null,
                          code: data.code || null, message: data.message || null, seen: false,
                          kind: item.kind || "report", action: item.action || null, report_code: item.code || null};
            return KRSync.sw("results", "readwrite", function (s) { return s.put(result); }).then(function () {
              return store("readwrite", function (s) { return s.delete(item.key); });
            }).then(function () {
              if (item.kind === "answer") {
                // What the server now says: the kept tracking page is taken again.
                var done = response.ok && item.action === "sanggah" ?
                  KRSync.ledgerPut({code: item.code, status: "in_progress", at: result.at, pending: false}) :
                  item.action === "sanggah" ? KRSync.sw("ledger", "readwrite", function (s) { return s.delete(item.code); }) :
                  Promise.resolve();
                return done.then(function () {
                  return KRSync.refreshCached(["/lacak/" + encodeURIComponent(item.code) + "/"]);
                });
              }
              if (data.tracking_code && data.status) {
                return KRSync.ledgerPut({code: data.tracking_code, report_id: data.id, status: data.status,
                                         at: result.at, pending: false});
              }
            }).then(function () {
              return tell({type: "report-sent", id: item.key, status: response.status, data: data});
            });
          });
        }).catch(function () { failed = true; /* still offline: kept */ });
      });
    }, Promise.resolve()).then(function () {
      if (failed && items.length) { throw new Error("outbox not empty"); }
    });
  });
}

function flushAll(csrf, lang) {
  return Promise.all([flush(csrf), KRSync.crewFlush({csrf: csrf, lang: lang}).then(function (r) {
    if (r && r.sent) { return tell({type: "crew-sent", sent: r.sent}); }
  })]);
}

self.addEventListener("sync", function (event) {
  // A rejected promise asks the browser to try this tag again later.
  if (event.tag === "kr-outbox") { event.waitUntil(flush()); }
  if (event.tag === "kr-crew") {
    event.waitUntil(KRSync.crewFlush({}).then(function (r) {
      if (r && r.sent) { return tell({type: "crew-sent", sent: r.sent}); }
    }));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "flush") {
    event.waitUntil(Promise.all([flushAll(data.csrf, data.lang).catch(function () {}), sweep().catch(function () {})]));
  }
  if (data.type === "wipe") {
    event.waitUntil(caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("kr-private") === 0 || k.indexOf(PAGE_CACHE) === 0; })
        .map(function (k) { return caches.delete(k); }));
    }));
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  // The crew's basemap tiles (vector: the project's /tiles/...mvt and, when
  // configured, an OpenMapTiles source elsewhere): the phone's copy when kept.
  if (request.method === "GET" && (url.origin !== self.location.origin ||
                                   (url.pathname.indexOf("/tiles/") === 0 && /\.mvt$/.test(url.pathname)))) {
    event.respondWith(caches.open(BASEMAP_CACHE).then(function (cache) {
      return cache.match(request, {ignoreVary: true});
    }).then(function (hit) {
      // A tile the phone does not hold, with no network: an empty tile, not an error.
      return hit || fetch(request).catch(function () {
        if (/\.(mvt|pbf)$/.test(url.pathname)) { return new Response(null, {status: 204}); }
        throw new TypeError("offline");
      });
    }));
    return;
  }
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === "/api/v1/reports/") {
    event.respondWith(fetch(request.clone()).catch(function () { return queueReport(request); }));
    return;
  }
  if (request.method === "POST" && request.mode === "navigate" && ANSWER.test(url.pathname)) {
    event.respondWith(fetch(request.clone()).catch(function () { return queueAnswer(request); }));
    return;
  }
  if (request.method === "POST" && (url.pathname === "/laporan-saya/perangkat.json" ||
                                    /^\/lacak\/[^/]+\/pelapor\.json$/.test(url.pathname))) {
    event.respondWith(postReadFetch(event));
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
    event.respondWith(pageFetch(event));
  }
});
