// Start-up benchmark (issue 8, item 4): navigation start → usable composer (ours: the
// [part~=input] textarea exists and is enabled; deep-chat: its #text-input exists), cold (a
// new browser context: empty cache) and warm (reload in the same context), median of N runs.
//
//   node bench/startup.mjs [--runs 9] [--only ours|deep-chat] [--dist DIR] [--dev-server PATH]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, distDir, launchBrowser, makeSite, median, newContext, option, printTable, startDevServer, writeResult } from "./lib/env.mjs";

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

const dist = distDir();
const site = makeSite(dist);
const server = await startDevServer(site.dir);
const rows = [];
const raw = {};
try {
  const browser = await launchBrowser();
  try {
    for (const who of ["ours", "deep-chat"].filter((w) => !ONLY || ONLY === w)) {
      if (who === "ours" && !dist) {
        rows.push({ who, note: "not measured: no dist/ (pass --dist DIR)" });
        continue;
      }
      const url = who === "ours" ? `${server.origin}/index.html` : `${server.origin}/bench/peer/deep-chat.html`;
      const cold = [];
      const warm = [];
      for (let i = 0; i < RUNS; i++) {
        const context = await newContext(browser);
        await context.addInitScript(ADAPTERS);
        await context.addInitScript(PROBE);
        const page = await context.newPage();
        await page.goto(url);
        cold.push(await measure(page));
        await page.reload();
        warm.push(await measure(page));
        await context.close();
      }
      raw[who] = { cold, warm };
      for (const [kind, xs] of [["cold", cold], ["warm", warm]]) {
        rows.push({
          who,
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
    await browser.close();
  }
} finally {
  server.stop();
  site.remove();
}
console.log(`start-up, median of ${RUNS} runs (navigation start → usable composer), loopback`);
printTable(rows, [
  ["who", "who"], ["kind", "cache"], ["composer_ms", "composer ms"], ["min_ms", "min"], ["max_ms", "max"],
  ["dcl_ms", "DOMContentLoaded ms"], ["requests", "requests"], ["transfer_kb", "transferred KB"], ["note", "note"],
]);
console.log("target: ≤ 150 ms");
console.log(`results: ${writeResult("startup", { runs: RUNS, rows, raw })}`);
