// The resident app's service worker: the shell works offline; Web Push messages become notifications.
const SHELL = "mimamori-app-v1";
const FILES = ["/web/app/", "/web/app/app.js", "/web/style.css", "/web/common.js", "/web/vendor/leaflet/leaflet.js",
  "/web/vendor/leaflet/leaflet.css", "/web/app/manifest.webmanifest", "/web/app/icon.svg"];
self.addEventListener("install", (event) => event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES))));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.pathname.startsWith("/api/")) return;  // live data never from cache
  event.respondWith(fetch(event.request).then((response) => {
    const copy = response.clone();
    caches.open(SHELL).then((cache) => cache.put(event.request, copy));
    return response;
  }).catch(() => caches.match(event.request)));
});
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { title: event.data.text() }; }
  event.waitUntil(Promise.all([
    self.registration.showNotification(data.title || "防災情報", { body: data.body || "", data, lang: data.language || "ja" }),
    // an open app refreshes its alert list at once
    self.clients.matchAll().then((clients) => clients.forEach((client) => client.postMessage({ type: "alert" }))),
  ]));
});
self.addEventListener("notificationclick", (event) => { event.notification.close(); event.waitUntil(self.clients.openWindow("/web/app/")); });
