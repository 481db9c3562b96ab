// Decoder benchmark (issue 8, item 3): SSE decode + accumulate of a multi-MB streamed chat
// completion, chat-core compiled to wasm against npm eventsource-parser (+ JSON.parse of
// each payload + concatenation of the delta content), same bytes, same page, headless
// Chromium; plus the native figure of the same Rust code.
//
//   node bench/decoder.mjs [--tokens 30000] [--iterations 15] [--dev-server PATH]
// Each side runs 3 × iterations times in 9 interleaved rounds; the best time is reported
// (medians are in bench/results/decoder.json).
// (run bench/build-decoder.sh first; run-all.sh does)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH, launchBrowser, makeSite, newContext, option, printTable, startDevServer, writeResult } from "./lib/env.mjs";

const TOKENS = Number(option("tokens", null, "30000"));
const ITERATIONS = Number(option("iterations", null, "15"));

if (!existsSync(join(BENCH, "decoder-wasm/pkg/decoder_wasm_bg.wasm"))) {
  console.error("decoder: no bench/decoder-wasm/pkg (run bench/build-decoder.sh)");
  process.exit(1);
}

const site = makeSite(null);
const server = await startDevServer(site.dir);
let browserResult;
let nativeResult = null;
try {
  const browser = await launchBrowser();
  try {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${server.origin}/bench/decoder.html`);
    await page.waitForFunction(() => typeof window.runDecoderBench === "function");
    browserResult = await page.evaluate((o) => window.runDecoderBench(o), { tokens: TOKENS, iterations: ITERATIONS });
  } finally {
    await browser.close();
  }
  // The same bytes for the native run.
  const res = await fetch(`${server.origin}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer demo-key" },
    body: JSON.stringify({ model: "demo", stream: true, messages: [{ role: "user", content: `long ${TOKENS}` }] }),
  });
  const dir = mkdtempSync(join(tmpdir(), "foundry-decoder-"));
  const file = join(dir, "stream.sse");
  writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
  const native = (optLevel, targetDir) => {
    const run = spawnSync("cargo", ["run", "--quiet", "--release", "--example", "native", "--", file, String(ITERATIONS)], {
      cwd: join(BENCH, "decoder-wasm"),
      encoding: "utf8",
      env: { ...process.env, CARGO_PROFILE_RELEASE_OPT_LEVEL: optLevel, CARGO_TARGET_DIR: join(BENCH, "decoder-wasm", targetDir) },
    });
    if (run.status === 0) return JSON.parse(run.stdout.trim().split("\n").pop());
    console.error(`decoder: native run (opt-level ${optLevel}) failed: ${run.stderr}`);
    return null;
  };
  nativeResult = { z: native("z", "target"), o3: native("3", "target/o3") };
  rmSync(dir, { recursive: true, force: true });
} finally {
  server.stop();
  site.remove();
}

const mbps = (ms) => browserResult.bytes / 1e6 / (ms / 1000);
const row = (side, ms) => ms && { side, ms, mb_s: mbps(ms), speedup: browserResult.js_ms / ms };
const rows = [
  row("chat-core, wasm as shipped (opt z, -Oz)", browserResult.wasm_ms),
  row("chat-core, wasm opt-level 3 (-O3)", browserResult.wasm_o3_ms),
  row("  of which SSE framing only (opt z)", browserResult.framing_ms),
  row("eventsource-parser + JSON.parse + concat", browserResult.js_ms),
  row("chat-core native, opt z", nativeResult.z?.best_ms),
  row("chat-core native, opt-level 3", nativeResult.o3?.best_ms),
].filter(Boolean);
console.log(`input: ${browserResult.bytes} bytes of SSE (${TOKENS} tokens, ${browserResult.content_bytes} bytes of content), 16 KiB pieces`);
console.log(`best of ${9 * Math.max(1, Math.round(ITERATIONS / 3))} runs per side, interleaved in 9 rounds (noise on a shared machine only adds time)`);
printTable(rows, [["side", "decoder"], ["ms", "best ms"], ["mb_s", "MB/s"], ["speedup", "× eventsource-parser"]]);
console.log("target: chat-core (wasm) ≥ 3 × eventsource-parser");
console.log(`results: ${writeResult("decoder", { tokens: TOKENS, iterations: ITERATIONS, browser: browserResult, native: nativeResult, rows })}`);
