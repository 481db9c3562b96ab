// Start-up benchmark (issue 8, item 4): navigation start → usable composer (ours: the
// [part~=input] textarea exists and is enabled; deep-chat: its #text-input exists), cold (a
// new browser context: empty cache) and warm (reload in the same context), median of N runs.
//
//   node bench/startup.mjs [--runs 9] [--only ours|deep-chat] [--name RESULT] [--dist [LABEL=]DIR[,[LABEL=]DIR…]]
//        [--dev-server PATH]
//
// Several builds in --dist (e.g. `before=A,after=B`) are served by one dev server each (the
// same binary); the runs are interleaved: run 1 of every page, then run 2, …
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, distDirs, launchBrowser, makeSite, median, newContext, option, printTable, startDevServer, writeResult } from "./lib/env.mjs";

const RUNS = Number(option("runs", "BENCH_RUNS_STARTUP", "9"));
const ONLY = option("only", null, null);
const ADAPTERS = readFileSync(join(BENCH, "lib/adapters.js"), "utf8");
const PROBE = readFileSync(join(BENCH, "lib/startup-probe.js"), "utf8");

async function measure(page) {
  await page.waitForFunction(() => window.__composerReady !== undefined, null, { timeout: 30000 });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const res = performance.getEntriesByType("resource");
    return {
      composer_ms: window.__composerReady,
      dcl_ms: nav?.domContentLoadedEventEnd ?? null,
      load_ms: nav?.loadEventEnd || null,
      requests: res.length + 1,
      transfer_bytes: res.reduce((s, r) => s + r.transferSize, nav?.transferSize ?? 0),
    };
  });
}

const dists = distDirs();
const servers = [];
const rows = [];
const raw = {};
try {
  for (const d of dists) {
    const site = makeSite(d.dir);
    servers.push({ ...d, site, server: await startDevServer(site.dir) });
  }
  const pages = [];
  for (const who of ["ours", "deep-chat"].filter((w) => !ONLY || ONLY === w)) {
    for (const s of who === "ours" ? servers : servers.slice(0, 1)) {
      const label = who === "ours" && servers.length > 1 ? `ours ${s.label}` : who;
      if (who === "ours" && !s.dir) {
        rows.push({ who: label, note: `not measured: no index.html in ${s.label} (pass --dist DIR)` });
        continue;
      }
      const url = who === "ours" ? `${s.server.origin}/index.html` : `${s.server.origin}/bench/peer/deep-chat.html`;
      pages.push({ label, url, cold: [], warm: [] });
    }
  }
  const browser = await launchBrowser();
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const p of pages) {
        const context = await newContext(browser);
        await context.addInitScript(ADAPTERS);
        await context.addInitScript(PROBE);
        const page = await context.newPage();
        await page.goto(p.url);
        p.cold.push(await measure(page));
        await page.reload();
        p.warm.push(await measure(page));
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  for (const { label, cold, warm } of pages) {
    raw[label] = { cold, warm };
    for (const [kind, xs] of [["cold", cold], ["warm", warm]]) {
      rows.push({
        who: label,
        kind,
        composer_ms: median(xs.map((x) => x.composer_ms)),
        min_ms: Math.min(...xs.map((x) => x.composer_ms)),
        max_ms: Math.max(...xs.map((x) => x.composer_ms)),
        dcl_ms: median(xs.map((x) => x.dcl_ms)),
        requests: median(xs.map((x) => x.requests)),
        transfer_kb: median(xs.map((x) => x.transfer_bytes)) / 1024,
      });
    }
  }
} finally {
  for (const s of servers) {
    s.server?.stop();
    s.site.remove();
  }
}
console.log(`start-up, median of ${RUNS} runs (navigation start → usable composer), loopback`);
printTable(rows, [
  ["who", "who"], ["kind", "cache"], ["composer_ms", "composer ms"], ["min_ms", "min"], ["max_ms", "max"],
  ["dcl_ms", "DOMContentLoaded ms"], ["requests", "requests"], ["transfer_kb", "transferred KB"], ["note", "note"],
]);
console.log("target: ≤ 150 ms");
console.log(`results: ${writeResult(option("name", null, "startup"), { runs: RUNS, dists, rows, raw })}`);
