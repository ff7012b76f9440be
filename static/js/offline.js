// Offline-first writes for the athlete's phone.
//
// 1. Registers the service worker (/sw.js) that keeps the app shell and the athlete's pages.
// 2. Every <form data-offline> (a set, completing a session, the check-in) is caught on submit,
//    before htmx: its fields (with its client_uuid) go into an IndexedDB queue, in order, then
//    the queue is sent with fetch (HX-Request, X-CSRFToken from the page). A sent item's HTML
//    answer is swapped in where htmx would have put it. Without signal the form says "Saved on
//    this phone" and is made ready for the next set (new client_uuid, next set number).
// 3. The queue is retried with backoff, when the phone comes back online and on every page load.
//    An answer the server refuses (4xx) is kept as failed with the server's reason and does not
//    hold up the items behind it; a 409 or an "already saved" replay counts as sent. The server
//    stores each client_uuid once, so sending an item twice never makes two rows.
// 4. A status bar says what is waiting ("3 sets waiting to sync"), what failed and why, or
//    "All saved".
(function () {
  "use strict";

  var DB_NAME = "baseline-offline";
  var STORE = "queue";
  var LOCK = "baseline-offline-queue";
  var OUTCOME = "X-Baseline-Outcome"; // saved · replayed · invalid · conflict
  var MAX_DELAY = 5 * 60 * 1000;
  var meta = document.querySelector('meta[name="baseline-user"]');
  var USER = meta ? meta.content : "";
  var LOGIN = (document.querySelector('meta[name="baseline-login"]') || {}).content || "/accounts/login/";
  var live = new Map(); // queue seq → the form it was just submitted from, on this page
  var retryTimer = null;
  var delay = 2000;
  var lastProblem = "";

  // --- IndexedDB ---------------------------------------------------------------------------------

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(STORE, mode);
        var result = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
      });
    });
  }

  function addItem(item) { return tx("readwrite", function (store) { return store.add(item); }); }
  function putItem(item) { return tx("readwrite", function (store) { return store.put(item); }); }
  function deleteItem(seq) { return tx("readwrite", function (store) { store.delete(seq); }); }
  function allItems() {
    return tx("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).filter(function (item) { return item.user === USER; });
    });
  }

  // --- small helpers -----------------------------------------------------------------------------

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // The CSRF cookie is HttpOnly (production settings): the token comes from the page, the one
  // base.html gives htmx in <body hx-headers>, else from the queued form's own field.
  function csrfToken(fields) {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (error) { /* no usable hx-headers: fall back to the form's field */ }
    var field = (fields || []).filter(function (pair) { return pair[0] === "csrfmiddlewaretoken"; })[0];
    return field ? field[1] : "";
  }

  function field(fields, name) {
    var pair = fields.filter(function (p) { return p[0] === name; })[0];
    return pair ? pair[1] : "";
  }

  function kindOf(form, url) {
    var named = form.getAttribute("data-offline");
    if (named) return named;
    if (/checkin/.test(url)) return "check-in";
    if (/complete/.test(url)) return "session completion";
    return "set";
  }

  function plural(count, noun) {
    if (count === 1) return "1 " + noun;
    return count + " " + (noun === "check-in" ? "check-ins" : noun === "session completion" ? "session completions" : noun + "s");
  }

  function targetOf(form) {
    var target = form.getAttribute("hx-target");
    if (!target || target === "this") return form.id ? "#" + form.id : "";
    return target.charAt(0) === "#" ? target : "";
  }

  // The form's place on the page: same URL, same exercise (item / exercise field).
  // When it was typed, not when it reached the server: a set's time and a check-in's day come
  // from the phone's clock at the moment the athlete saved (inputs marked data-stamp).
  function stamp(form) {
    form.querySelectorAll("input[data-stamp]").forEach(function (input) {
      var now = new Date();
      if (input.dataset.stamp === "date") {
        var local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
        input.value = local.toISOString().slice(0, 10);
      } else {
        input.value = now.toISOString();
      }
    });
  }

  function formKey(url, fields) {
    return url + "|" + field(fields, "item") + "|" + field(fields, "exercise");
  }

  function labelOf(form, kind, fields) {
    var section = form.closest("section");
    var heading = section && section.querySelector("h2");
    var name = heading ? heading.textContent.trim() : "";
    if (kind === "set") {
      var side = field(fields, "side");
      return (name ? name + ", set " : "Set ") + field(fields, "set_number") + (side ? " (" + side + ")" : "");
    }
    return kind.charAt(0).toUpperCase() + kind.slice(1);
  }

  // --- the status bar ----------------------------------------------------------------------------

  function statusBar() {
    var bar = document.getElementById("sync-status");
    if (bar) return bar;
    var main = document.getElementById("main");
    if (!main) return null;
    bar = document.createElement("div");
    bar.id = "sync-status";
    bar.className = "sync-status";
    bar.setAttribute("role", "status");
    bar.setAttribute("aria-live", "polite");
    bar.hidden = true;
    main.insertBefore(bar, main.firstChild);
    return bar;
  }

  function render() {
    return allItems().then(function (items) {
      var bar = statusBar();
      var forms = document.querySelectorAll("form[data-offline]");
      if (!bar) return items;
      var pending = items.filter(function (i) { return i.status === "pending"; });
      var failed = items.filter(function (i) { return i.status === "failed"; });
      bar.hidden = !items.length && !forms.length;
      bar.textContent = "";
      bar.className = "sync-status" + (failed.length ? " has-failed" : pending.length ? " is-waiting" : " is-saved");
      var summary = document.createElement("p");
      summary.className = "sync-summary";
      if (pending.length) {
        var counts = {};
        pending.forEach(function (i) { counts[i.kind] = (counts[i.kind] || 0) + 1; });
        var parts = Object.keys(counts).map(function (kind) { return plural(counts[kind], kind); });
        summary.textContent = parts.join(" and ") + " waiting to sync" + (lastProblem ? " · " + lastProblem : "");
      } else if (!failed.length) {
        summary.textContent = "All saved";
      }
      if (summary.textContent) bar.appendChild(summary);
      if (failed.length) {
        var head = document.createElement("p");
        head.className = "sync-failed";
        head.textContent = failed.length + " failed: " + failed[0].error;
        bar.appendChild(head);
        var list = document.createElement("ul");
        failed.forEach(function (item) {
          var li = document.createElement("li");
          li.textContent = item.label + ": " + item.error + " ";
          var dismiss = document.createElement("button");
          dismiss.type = "button";
          dismiss.className = "secondary outline compact";
          dismiss.dataset.dismiss = String(item.seq);
          dismiss.textContent = "Dismiss";
          li.appendChild(dismiss);
          list.appendChild(li);
        });
        bar.appendChild(list);
      }
      showPendingAtForms(pending);
      return items;
    });
  }

  // Under each form: what of it is on this phone, waiting.
  function showPendingAtForms(pending) {
    document.querySelectorAll("form[data-offline]").forEach(function (form) {
      var url = form.getAttribute("hx-post") || form.getAttribute("action");
      var key = formKey(url, Array.from(new FormData(form).entries()));
      var mine = pending.filter(function (i) { return i.key === key; });
      var note = form.querySelector(".offline-pending");
      if (!mine.length) {
        if (note) note.remove();
        return;
      }
      if (!note) {
        note = document.createElement("ul");
        note.className = "offline-pending";
        form.insertBefore(note, form.firstChild);
      }
      note.textContent = "";
      mine.forEach(function (item) {
        var li = document.createElement("li");
        li.textContent = item.label + " · saved on this phone";
        note.appendChild(li);
      });
    });
  }

  // --- the form, ready for the next set ------------------------------------------------------------

  var KEEP = ["reps", "seconds", "contacts", "metres", "load_value", "load_type"];

  function setValue(form, name, value) {
    var input = form.querySelector('input[name="' + name + '"]:not([type="radio"])');
    if (input) input.value = value;
  }

  function checkRadio(form, name, value) {
    var radio = form.querySelector('input[type="radio"][name="' + name + '"][value="' + value + '"]');
    if (radio) radio.checked = true;
  }

  // After `fields` (a set) was kept: the next set's number and side, a new UUID.
  function advance(form, fields) {
    var number = parseInt(field(fields, "set_number"), 10) || 0;
    var side = field(fields, "side");
    var hasSides = !!form.querySelector('input[type="radio"][name="side"]');
    var next = { number: number + 1, side: "" };
    if (hasSides) next = side === "left" ? { number: number || 1, side: "right" } : { number: number + 1, side: "left" };
    var kept = {};
    KEEP.forEach(function (name) { kept[name] = field(fields, name); });
    form.reset();
    Object.keys(kept).forEach(function (name) {
      var select = form.querySelector('select[name="' + name + '"]');
      if (select && kept[name]) select.value = kept[name];
      else if (kept[name] !== "") setValue(form, name, kept[name]);
    });
    setValue(form, "client_uuid", newUuid());
    if (form.querySelector('input[name="set_number"]')) {
      setValue(form, "set_number", String(next.number));
      form.querySelectorAll(".set-title, button[type='submit']").forEach(function (el) {
        if (el.dataset.saveLabel) el.dataset.saveLabel = el.dataset.saveLabel.replace(/\d+/, String(next.number));
        el.childNodes.forEach(function (node) {
          if (node.nodeType === 3) node.textContent = node.textContent.replace(/\d+/, String(next.number));
        });
      });
    }
    if (next.side && window.BaselineSetLogger) {
      // The set logger flips the side from the one just saved, relabels and resets its helpers.
      checkRadio(form, "side", side);
      form.dispatchEvent(new CustomEvent("set-logger:saved", { bubbles: true }));
    } else if (next.side) {
      checkRadio(form, "side", next.side);
    } else if (window.BaselineSetLogger) {
      form.dispatchEvent(new CustomEvent("set-logger:saved", { bubbles: true }));
    }
    form.dispatchEvent(new CustomEvent("offline:queued", { bubbles: true, detail: { next: next } }));
  }

  // On load (maybe from the cache, with an old page): fresh UUIDs, and set numbers past what waits.
  function prepareForms(pending) {
    document.querySelectorAll("form[data-offline]").forEach(function (form) {
      setValue(form, "client_uuid", newUuid());
      var url = form.getAttribute("hx-post") || form.getAttribute("action");
      var fields = Array.from(new FormData(form).entries());
      var key = formKey(url, fields);
      var mine = pending.filter(function (i) { return i.key === key && i.kind === "set"; });
      if (!mine.length) return;
      var last = mine[mine.length - 1].fields;
      var lastNumber = parseInt(field(last, "set_number"), 10) || 0;
      var shown = parseInt(field(fields, "set_number"), 10) || 0;
      if (lastNumber >= shown) advance(form, last);
    });
  }

  // --- sending ------------------------------------------------------------------------------------

  function reasonOf(response, text) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("html") === -1) return (text || response.statusText || "").trim().slice(0, 300) || "HTTP " + response.status;
    var doc = new DOMParser().parseFromString(text, "text/html");
    var found = [];
    doc.querySelectorAll(".field-error p, .flash-error, .errorlist li").forEach(function (el) {
      var line = el.textContent.trim().replace(/\s+/g, " ");
      if (line && found.indexOf(line) === -1) found.push(line);
    });
    if (found.length) return found.join(" ");
    var heading = doc.querySelector("h1");
    if (heading && heading.textContent.trim()) return heading.textContent.trim();
    var plain = doc.body ? doc.body.textContent.trim().replace(/\s+/g, " ") : "";
    if (plain && plain.length <= 300) return plain;
    var title = doc.querySelector("title");
    return (title ? title.textContent.trim() : "") || "HTTP " + response.status;
  }

  function hasErrors(text) {
    return /class="[^"]*\b(field-error|flash-error)\b/.test(text);
  }

  function swapIn(item, text, form) {
    var target = null;
    if (form && document.contains(form)) {
      var selector = form.getAttribute("hx-target");
      target = !selector || selector === "this" ? form : document.querySelector(selector);
    } else if (item.target) {
      try { target = document.querySelector(item.target); } catch (e) { target = null; }
    }
    if (!target) return false;
    var style = (item.swap || "outerHTML").split(" ")[0];
    if (window.htmx && htmx.swap) {
      htmx.swap(target, text, { swapStyle: style, swapDelay: 0, settleDelay: 0 });
    } else if (style === "outerHTML") {
      target.outerHTML = text;
    } else {
      target.innerHTML = text;
    }
    return true;
  }

  // One item → "sent", "failed", or a reason to stop for now: "offline", "server", "login".
  function send(item) {
    var body = new URLSearchParams();
    var token = csrfToken(item.fields);
    item.fields.forEach(function (pair) {
      if (pair[0] !== "csrfmiddlewaretoken") body.append(pair[0], pair[1]);
    });
    var form = live.get(item.seq);
    return fetch(item.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": token },
    }).then(function (response) {
      if (response.redirected && new URL(response.url).pathname.indexOf(LOGIN) === 0) return "login";
      if (response.status >= 500 || response.status === 408 || response.status === 429) return "server";
      live.delete(item.seq);
      return response.text().then(function (text) {
        var outcome = response.headers.get(OUTCOME) || "";
        var refused = response.status >= 400 && response.status !== 409;
        var rejected = outcome === "invalid" || outcome === "conflict" || (!outcome && response.ok && hasErrors(text));
        if (!refused && !rejected) {
          return deleteItem(item.seq).then(function () {
            swapIn(item, text, form);
            return "sent";
          });
        }
        // Just submitted from this page: show the answer on the form, as htmx would.
        if (form && document.contains(form) && text && swapIn(item, text, form)) {
          return deleteItem(item.seq).then(function () { return "sent"; });
        }
        item.status = "failed";
        item.error = reasonOf(response, text);
        item.failedAt = Date.now();
        return putItem(item).then(function () { return "failed"; });
      });
    }, function () {
      return "offline";
    });
  }

  var flushing = null;
  function flush() {
    if (!flushing) {
      var run = function () { return flushOnce(); };
      flushing = (navigator.locks ? navigator.locks.request(LOCK, run) : run())
        .catch(function () { return "offline"; })
        .then(function (result) {
          flushing = null;
          return render().then(function () { return result; });
        });
    }
    return flushing;
  }

  function flushOnce() {
    return allItems().then(function (items) {
      var pending = items.filter(function (i) { return i.status === "pending"; });
      if (!pending.length) {
        lastProblem = "";
        delay = 2000;
        return "done";
      }
      if (!navigator.onLine) return stop("offline");
      var sentAny = false;
      var step = function (index) {
        if (index >= pending.length) {
          if (sentAny) refreshPages();
          return flushOnce(); // anything queued meanwhile
        }
        return send(pending[index]).then(function (result) {
          if (result === "sent") sentAny = true;
          if (result === "sent" || result === "failed") return step(index + 1);
          if (sentAny) refreshPages();
          return stop(result);
        });
      };
      return step(0);
    });
  }

  function stop(reason) {
    lastProblem = reason === "login" ? "log in again to send them" : reason === "server" ? "the server is busy, trying again soon" : "";
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, delay);
    delay = Math.min(delay * 2, MAX_DELAY);
    return reason;
  }

  // --- the service worker and the pages it keeps ---------------------------------------------------

  // The worker to talk to: the page's controller, else the active one (a page opened before
  // the worker was installed is not controlled until the next load).
  var activeWorker = null;
  function worker() {
    return (navigator.serviceWorker && navigator.serviceWorker.controller) || activeWorker;
  }

  function refreshPages() {
    var controller = worker();
    if (controller && navigator.onLine) controller.postMessage({ type: "cache-pages", urls: [location.pathname] });
  }

  // On today's page: keep this week's sessions (and the check-in) for offline.
  function keepWeek() {
    var link = document.querySelector("a[data-offline-week]");
    if (!link || !navigator.onLine || !navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (registration) {
      return fetch(link.href, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok || response.redirected) return;
        return response.text().then(function (text) {
          var doc = new DOMParser().parseFromString(text, "text/html");
          var urls = [link.getAttribute("href"), location.pathname];
          doc.querySelectorAll("a[data-offline-page]").forEach(function (a) { urls.push(a.getAttribute("href")); });
          var target = navigator.serviceWorker.controller || registration.active;
          if (target) target.postMessage({ type: "cache-pages", urls: urls });
        });
      });
    }).catch(function () { /* offline now: nothing to refresh */ });
  }

  function register() {
    if (!("serviceWorker" in navigator)) return;
    // The worker answers "pages-cached" when this week's pages are on the phone.
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "pages-cached") {
        document.documentElement.setAttribute("data-offline-pages", "kept");
      }
    });
    var controlled = function () {
      if (navigator.serviceWorker.controller) document.documentElement.setAttribute("data-offline-worker", "on");
    };
    navigator.serviceWorker.addEventListener("controllerchange", controlled);
    controlled();
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* not https */ });
    navigator.serviceWorker.ready.then(function (registration) { activeWorker = registration.active; });
    var previous = localStorage.getItem("baseline-user");
    if (previous !== null && previous !== USER) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ type: "forget-pages" });
      });
    }
    localStorage.setItem("baseline-user", USER);
  }

  // --- events -------------------------------------------------------------------------------------

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.matches('form[action*="logout"]')) {
      var controller = worker();
      if (controller) controller.postMessage({ type: "forget-pages" });
      return;
    }
    if (!form.hasAttribute("data-offline") || !window.indexedDB || !USER) return;
    // Before htmx's own submit handler on the form.
    event.preventDefault();
    event.stopPropagation();
    event.stopImmediatePropagation();
    var url = form.getAttribute("hx-post") || form.getAttribute("action") || location.pathname;
    stamp(form);
    var fields = Array.from(new FormData(form, event.submitter || undefined).entries())
      .filter(function (pair) { return typeof pair[1] === "string"; });
    var kind = kindOf(form, url);
    var item = {
      user: USER,
      url: url,
      fields: fields,
      kind: kind,
      label: labelOf(form, kind, fields),
      key: formKey(url, fields),
      target: targetOf(form),
      swap: form.getAttribute("hx-swap") || "innerHTML",
      status: "pending",
      created: Date.now(),
    };
    var button = form.querySelector("button[type='submit']");
    if (button) button.disabled = true;
    addItem(item).then(function (seq) {
      item.seq = seq;
      live.set(seq, form);
      return navigator.onLine ? flush() : "offline";
    }).then(function () {
      if (button) button.disabled = false;
      if (!live.has(item.seq)) return render(); // sent (or refused, with the answer shown)
      live.delete(item.seq);
      if (item.kind === "set") advance(form, fields);
      else {
        form.reset();
        setValue(form, "client_uuid", newUuid());
      }
      var note = document.createElement("p");
      note.className = "offline-note";
      note.setAttribute("role", "status");
      note.textContent = item.label + ": saved on this phone, it will be sent when there is signal.";
      var old = form.parentNode && form.parentNode.querySelector(".offline-note");
      if (old) old.remove();
      form.parentNode.insertBefore(note, form);
      return render();
    }).catch(function (error) {
      if (button) button.disabled = false;
      // No IndexedDB (private mode): send it the usual way.
      form.removeAttribute("data-offline");
      form.requestSubmit(event.submitter || undefined);
      if (window.console) console.warn("offline queue unavailable", error);
    });
  }

  document.addEventListener("submit", onSubmit, true);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-dismiss]");
    if (!button) return;
    deleteItem(parseInt(button.dataset.dismiss, 10)).then(render);
  });
  window.addEventListener("online", function () { delay = 2000; flush(); });
  window.addEventListener("offline", function () { render(); });
  document.addEventListener("htmx:load", function () { if (USER && window.indexedDB) render(); });

  function start() {
    register();
    if (!USER || !window.indexedDB) return;
    allItems().then(function (items) {
      prepareForms(items.filter(function (i) { return i.status === "pending"; }));
      return render();
    }).then(function () {
      keepWeek();
      return flush();
    }).catch(function () { /* IndexedDB blocked: forms post the usual way */ });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
