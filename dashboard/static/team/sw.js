// The team app's service worker: the page and its assets open without a network.
// Actions are NOT sent from here: the page queues them in IndexedDB and sends them itself, so the
// queue works the same with or without a service worker (and in browsers that kill idle workers).
const CACHE = "envpetition-team-v1";
const SHELL = ["/team", "/static/app.css", "/static/team/team.css", "/static/team/team.js",
               "/team/manifest.webmanifest", "/static/team/icon-192.png", "/assets/plotly.min.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/static/") || url.pathname === "/assets/plotly.min.js") {
    // Assets: the cached copy first (they change with a new release, which changes CACHE).
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((response) => {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy));
      return response;
    })));
    return;
  }
  if (url.pathname === "/team" || url.pathname.startsWith("/team/cases/") || url.pathname.startsWith("/team/attachments/")) {
    // Orders: the network first (they change), the last copy when there is no network.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok) { const copy = response.clone(); caches.open(CACHE).then((cache) => cache.put(request, copy)); }
      return response;
    }).catch(() => caches.match(request).then((hit) => hit || caches.match("/team"))));
  }
});
