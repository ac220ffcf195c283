/* What the page and the service worker share (loaded by <script> on the
   crew's page and by importScripts in /sw.js):
   - the phone's small database "kr-sw": the residents' outbox (reports filed
     offline), the outcome of each one sent, and the "ledger": the last status
     this phone itself set or sent for a report (by tracking code), so that a
     page kept on the phone never shows an older one;
   - KRSync.crewFlush(): sends the crew's queued actions (database "kr-crew",
     written by offline.js) in one batch, removes those the server answered,
     keeps the refusals with their reasons, and writes the ledger. Both the
     page (on "online" and on open) and the service worker (Background Sync
     "kr-crew") call it; a Web Lock keeps two of them from sending at once,
     and the server applies each client id once anyway.
   - What the crew keeps is sealed (AES-GCM) under the crew's key: a
     non-extractable CryptoKey made on the phone at sign-in (offline.js) and
     kept in "kr-crew" / kv "key". IndexedDB keeps a CryptoKey by structured
     clone, so the service worker reads the same key and opens the queue with
     no page open, yet no script can read the key's bytes. At rest the queue
     holds {client_id, taken_at, sealed: {iv, data}}: the ciphertext. */
(function (scope) {
  "use strict";
  var PAGE_CACHE = "kr-offline-v1-pages";

  function openDb(name, version, upgrade) {
    return new Promise(function (resolve, reject) {
      var open = version ? indexedDB.open(name, version) : indexedDB.open(name);
      open.onupgradeneeded = function () { upgrade(open.result); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }
  function run(dbPromise, storeName, mode, fn) {
    return dbPromise.then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(storeName, mode), req = fn(t.objectStore(storeName));
        t.oncomplete = function () { d.close(); resolve(req && "result" in req ? req.result : undefined); };
        t.onerror = function () { d.close(); reject(t.error); };
        t.onabort = function () { d.close(); reject(t.error); };
      });
    });
  }

  function swDb() {
    return openDb("kr-sw", 2, function (d) {
      ["outbox", "results", "ledger"].forEach(function (name) {
        if (!d.objectStoreNames.contains(name)) {
          d.createObjectStore(name, {keyPath: name === "ledger" ? "code" : "key"});
        }
      });
    });
  }
  function sw(storeName, mode, fn) { return run(swDb(), storeName, mode, fn); }

  function crewDb() {
    return openDb("kr-crew", 1, function (d) {
      if (!d.objectStoreNames.contains("kv")) { d.createObjectStore("kv"); }
      if (!d.objectStoreNames.contains("queue")) { d.createObjectStore("queue", {keyPath: "client_id"}); }
    });
  }
  function crew(storeName, mode, fn) { return run(crewDb(), storeName, mode, fn); }

  /* The crew's key (never generated here: a queue without its key stays
     sealed and waits), and sealing / opening values with it. */
  function crewKey() {
    return crew("kv", "readonly", function (s) { return s.get("key"); }).then(function (rec) {
      return rec && rec.key ? rec.key : null;
    });
  }
  function seal(key, value) {
    var iv = scope.crypto.getRandomValues(new Uint8Array(12));
    return scope.crypto.subtle.encrypt({name: "AES-GCM", iv: iv}, key,
                                       new TextEncoder().encode(JSON.stringify(value)))
      .then(function (data) { return {iv: iv, data: data}; });
  }
  function unseal(key, sealed) {
    if (!sealed) { return Promise.resolve(null); }
    if (!key) { return Promise.reject(new Error("no key")); }
    return scope.crypto.subtle.decrypt({name: "AES-GCM", iv: sealed.iv}, key, sealed.data).then(function (plain) {
      return JSON.parse(new TextDecoder().decode(plain));
    });
  }
  /* A queued action as kept: only its id and time in clear. */
  function sealAction(key, action) {
    return seal(key, action).then(function (sealed) {
      return {client_id: action.client_id, taken_at: action.taken_at, sealed: sealed};
    });
  }
  /* The queue, opened; a record that does not open under this key (another
     sign-in's) is left out, and kept. A record queued in clear by an earlier
     version of the app is sent as it is (nothing queued is lost). */
  function crewQueue(key) {
    return crew("queue", "readonly", function (s) { return s.getAll(); }).then(function (records) {
      return Promise.all((records || []).map(function (rec) {
        if (!rec.sealed) { return rec; }
        return unseal(key, rec.sealed).catch(function () { return null; });
      }));
    }).then(function (actions) { return actions.filter(Boolean); });
  }
  function crewRefused(key) {
    return crew("kv", "readonly", function (s) { return s.get("refused"); }).then(function (sealed) {
      return unseal(key, sealed).catch(function () { return null; });
    }).then(function (list) { return list || []; });
  }

  /* The ledger: {code, report_id, status, at, pending}. A newer entry
     replaces an older one; "pending" means taken on the phone, not yet sent. */
  function ledgerPut(entry) {
    if (!entry.code || !entry.status) { return Promise.resolve(); }
    return sw("ledger", "readwrite", function (s) { return s.put(entry); });
  }
  function ledgerAll() { return sw("ledger", "readonly", function (s) { return s.getAll(); }); }

  function csrfToken(given) {
    if (given) { return Promise.resolve(given); }
    var fromCookieStore = scope.cookieStore ? scope.cookieStore.get("csrftoken").then(function (c) {
      return c ? c.value : "";
    }).catch(function () { return ""; }) : Promise.resolve("");
    return fromCookieStore.then(function (value) {
      if (value) { return value; }
      if (scope.document) {
        var m = scope.document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
        if (m) { return decodeURIComponent(m[1]); }
      }
      return crew("kv", "readonly", function (s) { return s.get("csrf"); }).then(function (v) { return v || ""; });
    });
  }

  /* Keep a page the phone already holds up to date after a change was sent
     (tracking pages, "Laporan saya"): fetched again only if it is cached. */
  function refreshCached(paths) {
    if (!scope.caches) { return Promise.resolve(); }
    return caches.open(PAGE_CACHE).then(function (cache) {
      return Promise.all(paths.map(function (path) {
        return cache.match(path).then(function (hit) {
          if (!hit) { return; }
          return fetch(path, {credentials: "same-origin"}).then(function (response) {
            if (response.ok && scope.KRStamp) { return scope.KRStamp(response).then(function (r) { return cache.put(path, r); }); }
          }).catch(function () {});
        });
      }));
    });
  }

  function withLock(name, fn) {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request(name, fn) : fn();
  }

  function crewFlushOnce(options) {
    var key;
    return crewKey().then(function (k) {
      key = k;
      return key ? crewQueue(key) : [];
    }).then(function (batch) {
      if (!batch || !batch.length) { return {sent: 0, results: []}; }
      return csrfToken(options.csrf).then(function (token) {
        return fetch("/api/v1/offline/actions/", {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRFToken": token,
                    "Accept-Language": options.lang || "id"},
          body: JSON.stringify({actions: batch.map(function (a) {
            var copy = Object.assign({}, a); delete copy.tracking_code; return copy; })})
        });
      }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      }).then(function (data) {
        var done = {}, byId = {}, refusedNow = [], applied = {}, ledger = [], now = new Date().toISOString();
        batch.forEach(function (a) { byId[a.client_id] = a; });
        data.results.forEach(function (r) {
          var sent = byId[r.client_id];
          if (!sent) { return; }
          done[r.client_id] = true;
          if (r.outcome === "refused" || r.outcome === "error") {
            refusedNow.push({client_id: r.client_id, report_id: r.report_id || sent.report_id,
                             tracking_code: sent.tracking_code, code: r.code, message: r.message});
          } else if (r.status) {
            applied[sent.report_id] = r.status;
          }
          if (r.status && sent.tracking_code) {
            // What the server now says (applied or not): the phone knows it.
            ledger.push({code: sent.tracking_code, report_id: sent.report_id, status: r.status, at: now,
                         pending: false});
          }
        });
        return crewRefused(key).then(function (old) {
          var seen = {}, refused = old.concat(refusedNow).filter(function (r) {
            if (seen[r.client_id]) { return false; }
            seen[r.client_id] = true;
            return true;
          });
          return seal(key, refused);
        }).then(function (refused) {
          return crewDb().then(function (d) {
            return new Promise(function (resolve, reject) {
              var t = d.transaction(["queue", "kv"], "readwrite");
              Object.keys(done).forEach(function (id) { t.objectStore("queue").delete(id); });
              t.objectStore("kv").put(refused, "refused");
              // Statuses the page folds into its (encrypted) package on open.
              var kv = t.objectStore("kv"), get = kv.get("applied");
              get.onsuccess = function () { kv.put(Object.assign(get.result || {}, applied), "applied"); };
              t.oncomplete = function () { d.close(); resolve(); };
              t.onerror = function () { d.close(); reject(t.error); };
            });
          });
        }).then(function () {
          return Promise.all(ledger.map(ledgerPut));
        }).then(function () {
          var paths = ledger.map(function (e) { return "/lacak/" + e.code + "/"; });
          return refreshCached(paths.concat(["/laporan-saya/"]));
        }).then(function () {
          return {sent: Object.keys(done).length, results: data.results, refused: refusedNow};
        });
      });
    });
  }

  function crewFlush(options) {
    return withLock("kr-crew-sync", function () { return crewFlushOnce(options || {}); });
  }

  scope.KRSync = {PAGE_CACHE: PAGE_CACHE, sw: sw, crew: crew, crewDb: crewDb, ledgerPut: ledgerPut,
                  seal: seal, unseal: unseal, sealAction: sealAction, crewQueue: crewQueue,
                  crewRefused: crewRefused,
                  ledgerAll: ledgerAll, crewFlush: crewFlush, csrfToken: csrfToken, refreshCached: refreshCached};
})(self);
