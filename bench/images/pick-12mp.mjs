// End-to-end figure for a 12-megapixel JPEG in the release app (headless Chromium):
// pick (a File given to the composer's file input) → read → check/strip → decode, draw
// scaled and encode (in the component's worker) → data URL → thumbnail shown.
// Also records the page's long tasks (≥ 50 ms, PerformanceObserver "longtask") and the
// longest gap between timer ticks on the main thread (a task of any length delays the
// next tick; the timer itself fires every ~4 ms) while that happens.
// `node bench/images/pick-12mp.mjs` after scripts/build.sh (and `cargo build -p dev-server`).
import { startServer, launchBrowser, openPage, parts } from "../../e2e/harness.mjs";

const RUNS = 5;
const server = await startServer({ delayMs: 5 });
const browser = await launchBrowser();
try {
  const { page, context } = await openPage(browser, `${server.url}/`);
  const chat = parts(page);
  await page.locator("foundry-chat").waitFor();
  await page.addScriptTag({ path: new URL("./photo.js", import.meta.url).pathname });
  const results = await page.evaluate(async (runs) => {
    const blob = await photoJpeg();
    const file = new File([blob], "photo.jpg", { type: "image/jpeg" });
    const root = document.querySelector("foundry-chat").shadowRoot;
    const input = root.querySelector('input[type="file"]');
    const longTasks = [];
    new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: "longtask" });
    const out = [];
    for (let r = 0; r < runs; r++) {
      const dt = new DataTransfer();
      dt.items.add(file);
      const ready = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          const thumb = root.querySelector('[part~="attachment"][data-state="ready"] img');
          if (thumb) { observer.disconnect(); resolve(thumb); }
        });
        observer.observe(root, { subtree: true, childList: true, attributes: true });
      });
      longTasks.length = 0;
      let ticking = true;
      let gap = 0;
      let last = performance.now();
      const tick = () => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
        if (ticking) setTimeout(tick, 0);
      };
      setTimeout(tick, 0);
      const start = performance.now();
      input.files = dt.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      const thumb = await ready;
      const ms = performance.now() - start;
      await new Promise((r) => setTimeout(r, 100));
      ticking = false;
      out.push({ ms, gap, sentBytes: Math.round(((thumb.src.length - 23) * 3) / 4), longTasks: [...longTasks] });
      root.querySelector('[part~="attachment"] button').click();
      await new Promise((r) => setTimeout(r, 50));
    }
    // The browser's own base64 on the same bytes, for comparison.
    const fr = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      await new Promise((resolve) => { const f = new FileReader(); f.onload = resolve; f.readAsDataURL(blob); });
      fr.push(performance.now() - t);
    }
    return { inputBytes: blob.size, out, fileReaderMs: fr };
  }, RUNS);
  const times = results.out.map((r) => r.ms).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const longest = Math.max(0, ...results.out.flatMap((r) => r.longTasks));
  const fr = results.fileReaderMs.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  console.log(`12 MP JPEG, ${(results.inputBytes / 1e6).toFixed(2)} MB → 2048×1536 JPEG ${(results.out[0].sentBytes / 1e6).toFixed(2)} MB`);
  console.log(`pick → thumbnail: median ${median.toFixed(0)} ms (runs ${times.map((t) => t.toFixed(0)).join(", ")})`);
  const gaps = results.out.map((r) => r.gap).sort((a, b) => a - b);
  console.log(`long tasks (≥ 50 ms) during processing: ${results.out.flatMap((r) => r.longTasks).length}, longest ${longest.toFixed(0)} ms`);
  console.log(`longest gap between main-thread timer ticks: median ${gaps[Math.floor(gaps.length / 2)].toFixed(0)} ms, worst ${gaps.at(-1).toFixed(0)} ms (runs ${results.out.map((r) => r.gap.toFixed(0)).join(", ")})`);
  console.log(`FileReader.readAsDataURL of the ${(results.inputBytes / 1e6).toFixed(2)} MB input: median ${fr.toFixed(1)} ms = ${(results.inputBytes / 1e3 / fr).toFixed(0)} MB/s`);
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}
