// First load (issue 17): every response the page itself fetches, recorded in headless
// Chromium from navigation until the composer is usable (the start-up probe) on an empty
// conversation, cold (a new context). Each body is measured decoded (raw) and as gzip -9 and
// brotli 11 (node zlib), plus the bytes that crossed the wire (CDP encodedDataLength, headers
// included, as served: the dev server sends the precompressed twins of scripts/precompress.mjs).
// "component" leaves out the host page's own document, stylesheet and icon and the API's
// answers (/models/info). Both sides are served with brotli twins (the peer's are written into
// the benchmark's copy of the site), so "on the wire" compares like with like.
//
//   node bench/first-load.mjs [--only ours|deep-chat] [--name RESULT] [--dist DIR] [--list]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { BENCH, ROOT, distDir, flag, launchBrowser, makeSite, newContext, option, printTable, startDevServer, writeResult } from "./lib/env.mjs";

const ONLY = option("only", null, null);
const ADAPTERS = readFileSync(join(BENCH, "lib/adapters.js"), "utf8");
const PROBE = readFileSync(join(BENCH, "lib/startup-probe.js"), "utf8");
const NOT_COMPONENT = /\/(index\.html|page\.css|favicon\.svg|bench\/peer\/deep-chat\.html)$|\/$|^\/(models|v1|openai)\//;

const gzip = (b) => gzipSync(b, { level: 9 }).length;
const brotli = (b) =>
  brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: b.length } }).length;

/** The responses of one cold load of `url` until the composer is usable. */
async function record(browser, url) {
  const context = await newContext(browser);
  await context.addInitScript(ADAPTERS);
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const wire = new Map();
  cdp.on("Network.loadingFinished", (e) => wire.set(e.requestId, e.encodedDataLength));
  const urls = new Map();
  cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, e.response.url));
  const bodies = [];
  page.on("response", (r) => bodies.push(r));
  await page.goto(url);
  await page.waitForFunction(() => window.__composerReady !== undefined, null, { timeout: 30000 });
  const composer = await page.evaluate(() => window.__composerReady);
  // What arrived by then (a response still streaming in is counted when it finishes).
  const files = [];
  for (const r of bodies) {
    const body = await r.body().catch(() => Buffer.alloc(0));
    files.push({ url: r.url(), raw: body.length, gzip: gzip(body), brotli: brotli(body) });
  }
  await new Promise((r) => setTimeout(r, 200));
  const byUrl = new Map();
  for (const [id, u] of urls) byUrl.set(u, (byUrl.get(u) ?? 0) + (wire.get(id) ?? 0));
  for (const f of files) f.wire = byUrl.get(f.url) ?? null;
  await context.close();
  return { composer, files };
}

const sum = (files, key) => files.reduce((s, f) => s + (f[key] ?? 0), 0);

const dist = distDir();
const site = makeSite(dist);
spawnSync("node", [join(ROOT, "scripts/precompress.mjs"), site.dir], { stdio: "ignore" });
const server = await startDevServer(site.dir);
const browser = await launchBrowser();
const rows = [];
const raw = {};
try {
  for (const [who, path] of [["ours", "/index.html"], ["deep-chat", "/bench/peer/deep-chat.html"]]) {
    if (ONLY && ONLY !== who) continue;
    if (who === "ours" && !dist) {
      rows.push({ who, note: "not measured: no dist (scripts/build.sh or --dist DIR)" });
      continue;
    }
    const { composer, files } = await record(browser, `${server.origin}${path}`);
    raw[who] = { composer, files };
    const component = files.filter((f) => !NOT_COMPONENT.test(new URL(f.url).pathname));
    for (const [scope, list] of [["component", component], ["all requests", files]]) {
      rows.push({
        who,
        scope,
        requests: list.length,
        raw: sum(list, "raw"),
        gzip: sum(list, "gzip"),
        brotli: sum(list, "brotli"),
        wire: sum(list, "wire"),
      });
    }
    if (flag("list")) {
      console.log(`\n${who}:`);
      printTable(files.map((f) => ({ ...f, url: new URL(f.url).pathname })), [["url", "file"], ["raw", "raw"], ["gzip", "gzip -9"], ["brotli", "brotli"], ["wire", "on the wire"]]);
    }
  }
} finally {
  await browser.close();
  server.stop();
  site.remove();
}
console.log("\nfirst load: navigation → composer usable, cold (bytes)");
printTable(rows, [
  ["who", "who"], ["scope", "scope"], ["requests", "requests"], ["raw", "raw"], ["gzip", "gzip -9"],
  ["brotli", "brotli 11"], ["wire", "on the wire"], ["note", "note"],
]);
console.log("target (issue 17): component gzip -9 ≤ 110,637");
console.log(`results: ${writeResult(option("name", null, "first-load"), { rows, raw })}`);
