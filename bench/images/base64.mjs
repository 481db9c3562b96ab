// Base64 throughput in a release build (issue 6): chat-core's data-URL encoder compiled to
// wasm exactly like the app (bench/images/build-base64.sh) against the browser's
// FileReader.readAsDataURL, same 12-megapixel JPEG bytes, same page, headless Chromium.
//   bench/images/build-base64.sh && node bench/images/base64.mjs [--runs 15]
// Prints best and median of each side (on a shared machine noise only adds time).
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH, launchBrowser, newContext, option, startDevServer } from "../lib/env.mjs";

const RUNS = Number(option("runs", null, "15"));
const pkg = join(BENCH, "images/base64-wasm/pkg");
if (!existsSync(join(pkg, "base64_wasm_bg.wasm"))) {
  console.error("base64: no bench/images/base64-wasm/pkg (run bench/images/build-base64.sh)");
  process.exit(1);
}
const site = mkdtempSync(join(tmpdir(), "foundry-base64-"));
cpSync(join(BENCH, "images/base64.html"), join(site, "index.html"));
cpSync(join(BENCH, "images/photo.js"), join(site, "photo.js"));
cpSync(pkg, join(site, "base64-wasm"), { recursive: true });
const server = await startDevServer(site);
try {
  const browser = await launchBrowser();
  try {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => typeof window.runBase64Bench === "function");
    const r = await page.evaluate((runs) => window.runBase64Bench({ runs }), RUNS);
    if (!r.same) throw new Error("the wasm data URL differs from FileReader's");
    const mb = r.bytes / 1e6;
    const row = (label, xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const med = s[s.length >> 1];
      console.log(`${label.padEnd(52)} best ${s[0].toFixed(1)} ms (${(mb / s[0] * 1e3).toFixed(0)} MB/s), median ${med.toFixed(1)} ms (${(mb / med * 1e3).toFixed(0)} MB/s)`);
    };
    console.log(`${mb.toFixed(2)} MB JPEG, ${RUNS} interleaved runs; outputs identical`);
    row("wasm data_url → JS string (copy in, encode, copy out)", r.ms.wasm);
    row("wasm data_url, no JS string (copy in, encode)", r.ms.wasmNoString);
    row("FileReader.readAsDataURL", r.ms.fileReader);
  } finally {
    await browser.close();
  }
} finally {
  server.stop();
  rmSync(site, { recursive: true, force: true });
}
