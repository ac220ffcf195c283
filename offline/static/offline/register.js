/* On every page: installs the service worker (/sw.js) and asks it to send
   what waits on the phone (with the page's CSRF token and language); says how
   old a page is when the phone serves its kept copy (<html data-kr-cached-at>)
   and shows there the status this phone itself set or sent for a report
   when it is newer than the copy; on /lapor/, lists the reports waiting for
   signal and says when one has been sent; wipes what the phone keeps for a
   signed-in user when they sign out. Words: <script id="offline-text">. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) { return; }
  var root = document.documentElement;

  function words() {
    var el = document.getElementById("offline-text");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }
  function fmt(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }
  function age(t, iso) {
    var minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60000);
    if (!(minutes >= 1)) { return t.just_now; }
    if (minutes < 60) { return fmt(t.minutes_ago, {n: minutes}); }
    if (minutes < 48 * 60) { return fmt(t.hours_ago, {n: Math.round(minutes / 60)}); }
    return fmt(t.days_ago, {n: Math.round(minutes / 1440)});
  }
  function wib(t, iso) {
    return new Date(iso).toLocaleString(t.locale || "id-ID", {timeZone: "Asia/Pontianak", day: "numeric",
      month: "short", year: "numeric", hour: "2-digit", minute: "2-digit"});
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function flush(reg) {
    var worker = reg && (reg.active || reg.waiting);
    if (worker) { worker.postMessage({type: "flush", csrf: csrf(), lang: root.lang || "id"}); }
  }
  function openSw() {
    return new Promise(function (resolve) {
      var open = indexedDB.open("kr-sw");
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = open.onblocked = function () { resolve(null); };
      open.onupgradeneeded = function () { /* not made yet: the worker makes it */ };
    });
  }
  function readAll(storeName) {
    return openSw().then(function (d) {
      if (!d || !d.objectStoreNames.contains(storeName)) { if (d) { d.close(); } return []; }
      return new Promise(function (resolve) {
        var req = d.transaction(storeName).objectStore(storeName).getAll();
        req.onsuccess = function () { d.close(); resolve(req.result || []); };
        req.onerror = function () { d.close(); resolve([]); };
      });
    });
  }

  /* A kept copy: its age, and newer statuses this phone knows. */
  function cachedPage() {
    var at = root.dataset.krCachedAt;
    if (!at) { return Promise.resolve(); }
    var t = words(), main = document.getElementById("main") || document.body;
    var note = document.createElement("p");
    note.className = "notice";
    note.id = "cached-notice";
    note.setAttribute("role", "status");
    note.textContent = fmt(t.cached_page, {age: age(t, at), time: wib(t, at)});
    main.insertBefore(note, main.firstChild);
    return readAll("ledger").then(function (entries) {
      var byCode = {};
      entries.forEach(function (e) { byCode[String(e.code).toUpperCase()] = e; });
      var labels = t.statuses || {};
      function newer(code) {
        var e = byCode[String(code || "").trim().toUpperCase()];
        return e && (e.pending || new Date(e.at).getTime() > new Date(at).getTime()) ? e : null;
      }
      function show(el, e) {
        if (el.dataset.phoneStatus === e.status) { return; }
        var label = labels[e.status] || e.status;
        el.textContent = e.pending ? fmt(t.pending_status, {status: label}) :
          fmt(t.sent_status, {status: label, age: age(t, e.at)});
        el.dataset.phoneStatus = e.status;
      }
      function apply() {
        var code = document.getElementById("code"), status = document.getElementById("status");
        if (code && status && newer(code.textContent)) { show(status, newer(code.textContent)); }
        Array.prototype.forEach.call(document.querySelectorAll(".report-list li"), function (li) {
          var a = li.querySelector("a.code"), s = li.querySelector(".status");
          if (a && s && newer(a.textContent)) { show(s, newer(a.textContent)); }
        });
      }
      apply();
      // "Laporan saya" fills the phone's own list after it loads.
      new MutationObserver(apply).observe(main, {childList: true, subtree: true});
      root.dataset.cachedShown = "1";
    });
  }

  /* /lapor/: the reports waiting for signal, and those sent since. */
  function outbox() {
    var form = document.getElementById("lapor-form");
    if (!form) { return; }
    var t = words(), box = document.createElement("section");
    box.id = "offline-outbox";
    box.hidden = true;
    box.setAttribute("aria-live", "polite");
    form.parentNode.insertBefore(box, form);
    var names = {};
    try {
      JSON.parse(document.getElementById("lapor-form-data").textContent).groups.forEach(function (g) {
        g.categories.forEach(function (c) { names[c.code] = c.name; });
      });
    } catch (e) { /* names stay codes */ }
    function draw() {
      return Promise.all([readAll("outbox"), readAll("results")]).then(function (r) {
        // Reports only: a tracking page's answers are shown on that page.
        var waiting = r[0].filter(function (x) { return x.kind !== "answer"; });
        var results = r[1].filter(function (x) { return !x.seen && x.kind !== "answer"; });
        box.innerHTML = "";
        results.forEach(function (x) {
          var p = document.createElement("p");
          p.className = x.tracking_code ? "success sent" : "notice refused";
          if (x.tracking_code) {
            p.appendChild(document.createTextNode(fmt(t.outbox_sent, {code: ""})));
            var a = document.createElement("a");
            a.href = "/lacak/" + encodeURIComponent(x.tracking_code) + "/";
            a.className = "code";
            a.textContent = x.tracking_code;
            p.appendChild(a);
          } else {
            p.textContent = fmt(t.outbox_refused, {message: x.message || x.status});
          }
          box.appendChild(p);
        });
        if (waiting.length) {
          var h = document.createElement("h2");
          h.textContent = t.outbox_title + " (" + waiting.length + ")";
          box.appendChild(h);
          var ul = document.createElement("ul");
          ul.id = "outbox-list";
          waiting.forEach(function (item) {
            var li = document.createElement("li");
            li.dataset.id = item.key;
            li.textContent = fmt(t.outbox_item, {category: names[item.category] || item.category || "",
                                                 age: age(t, item.queuedAt)});
            ul.appendChild(li);
          });
          box.appendChild(ul);
        }
        box.hidden = !waiting.length && !results.length;
        root.dataset.outbox = String(waiting.length);
      });
    }
    draw();
    document.addEventListener("kr:queued", draw);
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "report-sent") { draw(); }
    });
  }

  /* A tracking page: this phone's answers (confirm, dispute, follow) that
     wait for signal, and those the server refused when they were sent. */
  function answers() {
    var codeEl = document.getElementById("code"), main = document.getElementById("main") || document.body;
    if (!codeEl || !document.getElementById("status")) { return; }
    var t = words(), code = codeEl.textContent.trim().toUpperCase(), box = document.createElement("section");
    box.id = "offline-answers";
    box.hidden = true;
    box.setAttribute("aria-live", "polite");
    var status = document.getElementById("status");
    var anchor = status.closest(".kpis") || main.firstChild;
    anchor.parentNode.insertBefore(box, anchor.nextSibling);
    function draw() {
      return Promise.all([readAll("outbox"), readAll("results")]).then(function (r) {
        var mine = function (x) { return x.kind === "answer" && String(x.code || x.report_code).toUpperCase() === code; };
        var waiting = r[0].filter(mine), refused = r[1].filter(function (x) {
          return mine(x) && (x.status >= 400);
        });
        box.innerHTML = "";
        waiting.forEach(function (x) {
          var label = x.action === "ikuti" ? (x.follow ? t.answer_follow : t.answer_unfollow) :
            x.action === "sanggah" ? t.answer_dispute : t.answer_confirm;
          box.appendChild(Object.assign(document.createElement("p"), {className: "notice waiting",
            textContent: fmt(t.answer_waiting, {answer: label, age: age(t, x.queuedAt)})}));
        });
        refused.forEach(function (x) {
          box.appendChild(Object.assign(document.createElement("p"), {className: "error refused",
            textContent: fmt(t.answer_refused, {message: x.message || x.status})}));
        });
        box.hidden = !waiting.length && !refused.length;
        root.dataset.answersWaiting = String(waiting.length);
      });
    }
    draw();
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "report-sent") { draw(); }
    });
  }

  /* The page loads this script after its own load event (portal/base.html). */
  function start() {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function (reg) {
      if (navigator.onLine) { flush(reg); }
    }).catch(function () {});
    if (window.indexedDB) {
      cachedPage();
      outbox();
      answers();
    }
  }
  if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
  window.addEventListener("online", function () {
    navigator.serviceWorker.ready.then(flush);
  });
  document.addEventListener("submit", function (event) {
    var action = event.target.getAttribute("action") || "";
    if (!/\/keluar\/?$/.test(action)) { return; }
    // Signing out: the private caches and the crew's store leave the phone.
    if (window.KROffline) { window.KROffline.wipe(); }
    else {
      try { indexedDB.deleteDatabase("kr-crew"); } catch (e) { /* nothing kept */ }
    }
    if (navigator.serviceWorker.controller) { navigator.serviceWorker.controller.postMessage({type: "wipe"}); }
  }, true);
})();
