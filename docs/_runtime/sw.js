/* Keeps the runtime (this folder) in the browser's Cache API, so that the next page, in either
 * language, starts it without the network, and it works offline once loaded.
 * Its scope is this folder only: it never sees the pages. RUNTIME_VERSION is replaced by
 * assemble.py with a digest of the files, so a new runtime gets a new cache and the old one goes.
 */
"use strict";

const CACHE = "guide-runtime-RUNTIME_VERSION";

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith("guide-runtime-") && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const fresh = request.url.endsWith("/manifest.json"); // asked of the server first: it names the runtime
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = fresh ? null : await cache.match(request);
      if (cached) return cached;
      try {
        const response = await fetch(request);
        if (response.ok) event.waitUntil(cache.put(request, response.clone()));
        return response;
      } catch (offline) {
        const kept = await cache.match(request);
        if (kept) return kept;
        throw offline;
      }
    }),
  );
});
