// Where a cold start's time goes (issue 8, item 4): each run is one cold load of our page
// (new browser context) traced through the DevTools protocol; the trace gives the moments of
// each phase (ms since navigation start) and how much CPU the page's main thread got.
//
//   node bench/startup-trace.mjs [--runs 5] [--dist DIR] [--keep trace.json]
//
// Phases: html = the document's response reaches the page; js = the last module of the glue in; wasm = its last
// byte in; eval = the page's module script starts (init() asks for the wasm); compiled = the
// wasm compiled and instantiated; mount = the element's connectedCallback (the UI mounted);
// composer = the textarea usable (the start-up benchmark's end mark). "lazy" is V8 compiling a
// wasm function on its first call: how many, and their main-thread CPU and wall time.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, distDir, launchBrowser, makeSite, median, newContext, option, startDevServer, writeResult } from "./lib/env.mjs";

const RUNS = Number(option("runs", "BENCH_RUNS_TRACE", "5"));
const KEEP = option("keep", null, null);
const ADAPTERS = readFileSync(join(BENCH, "lib/adapters.js"), "utf8");
const PROBE = readFileSync(join(BENCH, "lib/startup-probe.js"), "utf8");
const CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "loading", "navigation", "v8", "v8.wasm", "blink"];

/** The phases of one traced load, in ms since navigation start. */
function phases(events, composer) {
  const nav = events.find((e) => e.name === "NavigationTiming navigationStart");
  const at = (e) => (e ? (e.ts - nav.ts) / 1000 : null);
  const parse = events.find((e) => e.name === "ParseHTML");
  const onMain = (e) => e.pid === parse.pid && e.tid === parse.tid;
  const urls = {};
  for (const e of events.filter((e) => e.name === "ResourceSendRequest")) urls[e.args.data.requestId] = e.args.data.url;
  const finish = (test) => events.filter((e) => e.name === "ResourceFinish" && onMain(e) && test(urls[e.args.data.requestId] ?? ""));
  const end = (e) => (e ? at(e) + e.dur / 1000 : null);
  const last = (xs) => xs.reduce((a, e) => (a && a.ts > e.ts ? a : e), null);
  const endMark = nav.ts + composer * 1000;
  const lazy = events.filter((e) => e.name === "wasm.CompileLazy" && onMain(e) && e.ts < endMark);
  const tasks = events.filter((e) => e.name === "RunTask" && onMain(e) && e.ph === "X" && e.ts >= nav.ts && e.ts < endMark);
  return {
    html: at(events.find((e) => e.name === "ResourceReceiveResponse" && onMain(e) && (urls[e.args.data.requestId] ?? "").endsWith(".html"))),
    js: at(last(finish((u) => u.endsWith(".js")))),
    wasm: at(last(finish((u) => u.endsWith(".wasm")))),
    eval: at(events.find((e) => e.name === "v8.evaluateModule" && onMain(e))),
    compiled: end(events.find((e) => e.name === "wasm.AsyncInstantiate")),
    mount: at(events.find((e) => e.name === "CustomElementReactionQueue::invokeReactions" && e.dur > 1000)),
    composer,
    lazy_fns: lazy.length,
    lazy_cpu: lazy.reduce((s, e) => s + (e.tdur ?? 0), 0) / 1000,
    lazy_wall: lazy.reduce((s, e) => s + e.dur, 0) / 1000,
    main_cpu: tasks.reduce((s, e) => s + (e.tdur ?? 0), 0) / 1000,
  };
}

const dist = distDir();
if (!dist) throw new Error("no dist/: run scripts/build.sh or pass --dist DIR");
const site = makeSite(dist);
const server = await startDevServer(site.dir);
const runs = [];
try {
  const browser = await launchBrowser();
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await newContext(browser);
      await context.addInitScript(ADAPTERS);
      await context.addInitScript(PROBE);
      const page = await context.newPage();
      await browser.startTracing(page, { categories: CATEGORIES });
      await page.goto(`${server.origin}/index.html`);
      await page.waitForFunction(() => window.__composerReady !== undefined, null, { timeout: 30000 });
      const composer = await page.evaluate(() => window.__composerReady);
      const trace = await browser.stopTracing();
      if (KEEP && i === 0) writeFileSync(KEEP, trace);
      runs.push(phases(JSON.parse(trace).traceEvents, composer));
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  server.stop();
  site.remove();
}
const keys = Object.keys(runs[0]);
const fmt = (v) => (v === null ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(1));
console.log(`cold start-up, traced (ms since navigation start; tracing itself slows the page), ${RUNS} runs`);
console.log(["run", ...keys].map((k) => k.padStart(9)).join(""));
runs.forEach((r, i) => console.log([String(i + 1), ...keys.map((k) => fmt(r[k]))].map((s) => s.padStart(9)).join("")));
const mid = Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]).filter((v) => v !== null))]));
console.log(["median", ...keys.map((k) => fmt(mid[k]))].map((s) => s.padStart(9)).join(""));
console.log(
  `main thread: ${fmt(mid.main_cpu)} ms of CPU in the ${fmt(mid.composer)} ms to a usable composer; ` +
    `mount → composer ${fmt(mid.composer - mid.mount)} ms, of which first-call compiles ${fmt(mid.lazy_wall)} ms wall (${fmt(mid.lazy_cpu)} ms CPU)`,
);
console.log(`results: ${writeResult("startup-trace", { runs: RUNS, median: mid, raw: runs })}`);
