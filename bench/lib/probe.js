// Injected into every benchmarked page before its own scripts (Playwright addInitScript):
// records long tasks, the completion requests' resource timings (chat completions and
// Responses) and, on demand, the frames.
(() => {
  const B = (window.__bench = { longtasks: [], resources: [] });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch (_) {
    B.longtaskUnsupported = true;
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.name.includes("/chat/completions") || /\/responses(\?|$)/.test(e.name)) {
        B.resources.push({ name: e.name, start: e.startTime, responseStart: e.responseStart, responseEnd: e.responseEnd, bytes: e.encodedBodySize });
      }
    }
  }).observe({ type: "resource", buffered: true });
})();
