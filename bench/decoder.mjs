// Decoder benchmark (issue 8, item 3; issue 15: the Responses style beside it): SSE decode +
// accumulate of a multi-MB streamed reply, chat-core compiled to wasm against npm
// eventsource-parser (+ JSON.parse of each payload + concatenation of the text deltas), same
// bytes, same page, headless Chromium; plus the native figure of the same Rust code. Two
// streams of the same reply from the dev server (`long N`): chat completions
// (`chat.completion.chunk`s, StreamAccumulator) and the Responses API
// (`response.output_text.delta` events, ResponsesAccumulator), measured in the same run.
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
const STYLES = ["chat", "responses"];
// The same request as bench/decoder.html's, for the native run's bytes.
const REQUEST = {
  chat: ["/v1/chat/completions", { model: "demo", stream: true, messages: [{ role: "user", content: `long ${TOKENS}` }] }],
  responses: ["/v1/responses", { model: "demo", stream: true, store: false, input: `long ${TOKENS}` }],
};

if (!existsSync(join(BENCH, "decoder-wasm/pkg/decoder_wasm_bg.wasm"))) {
  console.error("decoder: no bench/decoder-wasm/pkg (run bench/build-decoder.sh)");
  process.exit(1);
}

const site = makeSite(null);
const server = await startDevServer(site.dir);
let browserResult;
const nativeResult = {};
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
  const dir = mkdtempSync(join(tmpdir(), "foundry-decoder-"));
  try {
    for (const style of STYLES) {
      const [path, body] = REQUEST[style];
      const res = await fetch(`${server.origin}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer demo-key" },
        body: JSON.stringify(body),
      });
      const file = join(dir, `${style}.sse`);
      writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
      const native = (optLevel, targetDir) => {
        const args = ["run", "--quiet", "--release", "--example", "native", "--", ...(style === "responses" ? ["--responses"] : []), file, String(ITERATIONS)];
        const run = spawnSync("cargo", args, {
          cwd: join(BENCH, "decoder-wasm"),
          encoding: "utf8",
          env: { ...process.env, CARGO_PROFILE_RELEASE_OPT_LEVEL: optLevel, CARGO_TARGET_DIR: join(BENCH, "decoder-wasm", targetDir) },
        });
        if (run.status === 0) return JSON.parse(run.stdout.trim().split("\n").pop());
        console.error(`decoder: native run of ${style} (opt-level ${optLevel}) failed: ${run.stderr}`);
        return null;
      };
      nativeResult[style] = { z: native("z", "target"), o3: native("3", "target/o3") };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  server.stop();
  site.remove();
}

// One row per side, the two streams side by side: best ms, MB/s and × eventsource-parser
// on the same stream.
const SIDES = [
  ["chat-core, wasm as shipped (opt z, -Oz)", (s) => browserResult[s].wasm_ms],
  ["chat-core, wasm opt-level 3 (-O3)", (s) => browserResult[s].wasm_o3_ms],
  ["  of which SSE framing only (opt z)", (s) => browserResult[s].framing_ms],
  ["eventsource-parser + JSON.parse + concat", (s) => browserResult[s].js_ms],
  ["chat-core native, opt z", (s) => nativeResult[s]?.z?.best_ms],
  ["chat-core native, opt-level 3", (s) => nativeResult[s]?.o3?.best_ms],
];
const rows = SIDES.map(([side, ms]) => {
  const row = { side };
  for (const s of STYLES) {
    const t = ms(s);
    if (!t) continue;
    row[`${s}_ms`] = t;
    row[`${s}_mb_s`] = browserResult[s].bytes / 1e6 / (t / 1000);
    row[`${s}_speedup`] = browserResult[s].js_ms / t;
  }
  return row;
}).filter((row) => Object.keys(row).length > 1);
for (const s of STYLES) {
  const r = browserResult[s];
  console.log(`input ${s}: ${r.bytes} bytes of SSE, ${r.events} events (${TOKENS} tokens, ${r.content_bytes} bytes of content), 16 KiB pieces`);
}
console.log(`best of ${9 * Math.max(1, Math.round(ITERATIONS / 3))} runs per side, interleaved in 9 rounds (noise on a shared machine only adds time)`);
printTable(rows, [
  ["side", "decoder"],
  ...STYLES.flatMap((s) => [[`${s}_ms`, `${s} ms`], [`${s}_mb_s`, "MB/s"], [`${s}_speedup`, "× e-p"]]),
]);
console.log("× e-p: × eventsource-parser on the same stream; target: chat-core (wasm) ≥ 3 × eventsource-parser");
console.log(`results: ${writeResult("decoder", { tokens: TOKENS, iterations: ITERATIONS, browser: browserResult, native: nativeResult, rows })}`);
