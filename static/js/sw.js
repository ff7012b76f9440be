// Baseline's service worker, served at /sw.js by config/pwa.py, which prepends
// `self.BASELINE = {version, shell}`: the app shell's URLs as the pages reference them.
//
// - The shell (CSS, JS, icons) is cached on install and served from the cache.
// - The athlete's pages (today, this week, each day's session, the check-in) are network-first:
//   every visit online refreshes the copy on the phone; offline the copy is shown.
// - A page asks for more pages to be kept with postMessage({type: "cache-pages", urls}) (today
//   sends this week's sessions), and for the copies to be dropped with {type: "forget-pages"}
//   (logging out, another user).
// - Writes (POST) are never touched here: static/js/offline.js queues them in IndexedDB.
"use strict";

var CONFIG = self.BASELINE || { version: "dev", shell: [] };
var SHELL_CACHE = "baseline-shell-" + CONFIG.version;
var STATIC_CACHE = "baseline-static";
var PAGES_CACHE = "baseline-pages";
var PAGES = [
  /^\/today\/$/,
  /^\/today\/week\/$/,
  /^\/today\/\d{4}-\d{2}-\d{2}\/$/,
  /^\/checkin\/$/,
];
var OFFLINE_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  "<title>Offline · Baseline</title></head><body><main>" +
  "<h1>You are offline</h1><p>This page was not saved on this phone. " +
  '<a href="/today/">Today</a> and this week\'s sessions are, once opened with signal.</p>' +
  "</main></body></html>";

function isPage(url) {
  return PAGES.some(function (pattern) { return pattern.test(url.pathname); });
}

function pageKey(url) {
  return new URL(url, self.location.origin).pathname;
}

// Keep a copy of a page answer: a plain 200, not a redirect to the login page.
function keep(key, response) {
  if (!response || response.status !== 200 || response.redirected || response.type !== "basic") {
    return Promise.resolve();
  }
  var copy = response.clone();
  return caches.open(PAGES_CACHE).then(function (cache) { return cache.put(key, copy); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE).then(function (cache) {
      return cache.addAll(CONFIG.shell.map(function (url) {
        return new Request(url, { cache: "reload", credentials: "same-origin" });
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("baseline-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function networkFirstPage(request) {
  var key = pageKey(request.url);
  return fetch(request).then(function (response) {
    return keep(key, response).then(function () { return response; });
  }).catch(function () {
    return caches.open(PAGES_CACHE).then(function (cache) {
      return cache.match(key);
    }).then(function (cached) {
      return cached || new Response(OFFLINE_PAGE, {
        status: 503,
        headers: { "Content-Type": "text/html; charset=utf-8" },
      });
    });
  });
}

function cacheFirst(request) {
  return caches.match(request, { cacheName: SHELL_CACHE }).then(function (cached) {
    return cached || fetch(request);
  });
}

// Other static files: the network, a copy kept for offline.
function staticFile(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(STATIC_CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (cached) {
      return cached || Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (CONFIG.shell.indexOf(url.pathname + url.search) !== -1) {
    event.respondWith(cacheFirst(request));
  } else if (isPage(url) && !request.headers.get("HX-Request")) {
    event.respondWith(networkFirstPage(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staticFile(request));
  }
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "cache-pages") {
    var urls = (data.urls || []).filter(function (url) {
      var parsed = new URL(url, self.location.origin);
      return parsed.origin === self.location.origin && isPage(parsed);
    });
    event.waitUntil(Promise.all(urls.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        return keep(pageKey(url), response);
      }).catch(function () { /* offline: the copy on the phone stays */ });
    })).then(function () {
      if (event.source) event.source.postMessage({ type: "pages-cached", urls: urls });
    }));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});
