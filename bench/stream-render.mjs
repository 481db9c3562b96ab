// Streaming render benchmark (issue 8, items 2 and 5): the dev server streams N tokens of
// markdown with no pacing; in headless Chromium we measure, for our <foundry-chat> and the
// peer <deep-chat>: send → first token visible, last byte → full reply visible, long tasks,
// the longest gap between frames, JS heap and DOM nodes after. `--history` adds the
// long-conversation case: 200 finished messages on screen, then a 2,000-token reply.
//
//   node bench/stream-render.mjs [--runs 3] [--only ours|deep-chat] [--tokens 2000,20000|none]
//        [--history] [--timeout 180] [--profile] [--name RESULT] [--dev-server PATH]
//        [--dist [LABEL=]DIR[,[LABEL=]DIR…]] [--styles chat|responses|chat,responses]
//
// --styles: the wire API ours talks — `chat` (default): the page's own `endpoint="models"`,
// Azure AI Inference chat completions; `responses`: `endpoint="/openai/v1"` with
// `api-style="responses"` (the demo's POST /openai/v1/responses, same scripted replies), set
// on the element before the warm-up. --dist with several builds (e.g. `before=A,after=B`)
// serves each from its own dev server (the same binary). Every build × style is one case of
// ours; the runs are interleaved: round 1 of every case, then round 2, …
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BENCH, distDirs, flag, launchBrowser, newContext, makeSite, median, option, printTable, profileSummary,
  sleep, startDevServer, writeResult,
} from "./lib/env.mjs";

const RUNS = Number(option("runs", "BENCH_RUNS", "3"));
const TIMEOUT_S = Number(option("timeout", "BENCH_TIMEOUT", "180"));
const TOKENS = option("tokens", null, "2000,20000").split(",").filter((t) => /^\d+$/.test(t)).map(Number);
const ONLY = option("only", null, null);
const STYLES = option("styles", null, "chat").split(",");
for (const s of STYLES) if (!["chat", "responses"].includes(s)) throw new Error(`--styles: unknown style ${s}`);
const PROFILE = flag("profile");
// One short exchange first (the "markdown" showcase), so that every case is measured with the
// component's code already compiled and warm; --no-warmup measures the first message instead.
const WARMUP = !flag("no-warmup");
const HISTORY_MESSAGES = 200;
const PROBE = readFileSync(join(BENCH, "lib/probe.js"), "utf8");
const ADAPTERS = readFileSync(join(BENCH, "lib/adapters.js"), "utf8");

const stripWs = (s) => s.replace(/\s+/g, "");

/** The last words of the scripted reply as they read once rendered (markup and spaces removed). */
function sentinelOf(markdown) {
  const lines = markdown.split("\n").filter((l) => /[A-Za-z0-9]/.test(l) && !/^\s*```/.test(l));
  const last = lines[lines.length - 1]
    .replace(/^\s*(#+|>|[-*+]|\d+\.)\s+/, "")
    .replace(/[|*`]/g, "");
  return stripWs(last).slice(-40);
}

async function scriptedReply(origin, prompt) {
  const res = await fetch(`${origin}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer demo-key" },
    body: JSON.stringify({ model: "demo", stream: false, messages: [{ role: "user", content: prompt }] }),
  });
  if (!res.ok) throw new Error(`demo endpoint: HTTP ${res.status}`);
  return (await res.json()).choices[0].message.content;
}

/** 200 finished messages: alternating short questions and markdown answers. */
function history() {
  const out = [];
  for (let i = 0; i < HISTORY_MESSAGES / 2; i++) {
    out.push({ role: "user", content: `Question ${i}: how does part ${i} work?` });
    out.push({
      role: "assistant",
      content: `## Part ${i}\n\nPart ${i} works in **three** steps, with \`code ${i}\`:\n\n- first step\n- second step\n- third step\n\n\`\`\`js\nconst part${i} = ${i} * 2;\n\`\`\`\n\n| key | value |\n|-----|------:|\n| part | ${i} |\n`,
    });
  }
  return out;
}

// Runs inside the page: sends, then watches every animation frame until the reply is whole.
async function measureInPage({ who, prompt, key, timeoutMs }) {
  const A = window.__adapters[who];
  const B = window.__bench;
  const strip = (s) => s.replace(/\s+/g, "");
  const before = A.replies().length;
  return new Promise((resolve) => {
    let first = null;
    let done = null;
    let maxGap = 0;
    let frames = 0;
    let probeMs = 0;
    let chars = 0;
    const trace = []; // [ms since send, visible characters] at each frame where it changed
    const t0 = performance.now();
    let lastFrame = t0;
    const frame = () => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - lastFrame);
      lastFrame = now;
      frames++;
      const list = A.replies();
      const el = list.length > before ? list[list.length - 1] : null;
      if (el) {
        const text = strip(A.text(el));
        if (text.length !== chars) trace.push([Math.round(now - t0), text.length]);
        chars = text.length;
        if (first === null && text.length > 0) first = now;
        if (first !== null && !A.streaming(el) && text.includes(key)) done = now;
      }
      probeMs += performance.now() - now;
      if (done !== null || now - t0 > timeoutMs) {
        resolve({ t0, first, done, maxGap, frames, probeMs, chars, trace, resources: B.resources.length });
        return;
      }
      requestAnimationFrame(frame);
    };
    A.send(prompt);
    requestAnimationFrame(frame);
  });
}

async function oneRun({ origin, who, style, tokens, key, warmKey, withHistory }) {
  const browser = await launchBrowser();
  try {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.addInitScript(PROBE);
    await page.addInitScript(ADAPTERS);
    const url = who === "ours" ? `${origin}/index.html` : `${origin}/bench/peer/deep-chat.html`;
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction((w) => window.__adapters[w].composerReady(), who, { timeout: 30000 });
    if (style === "responses") {
      await page.evaluate(() => {
        const el = document.querySelector("foundry-chat");
        el.setAttribute("endpoint", "/openai/v1");
        el.setAttribute("api-style", "responses");
      });
    }
    if (withHistory) {
      await page.evaluate(([w, msgs]) => window.__adapters[w].setHistory(msgs), [who, history()]);
      await page.waitForFunction(
        ([w, n]) => window.__adapters[w].replies().length >= n,
        [who, HISTORY_MESSAGES / 2],
        { timeout: 120000 },
      );
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    }
    if (WARMUP) {
      const w = await page.evaluate(measureInPage, { who, prompt: "markdown", key: warmKey, timeoutMs: 60000 });
      if (w.done === null) throw new Error(`${who}: the warm-up reply did not complete`);
    }
    const cdp = await context.newCDPSession(page);
    await cdp.send("Performance.enable");
    const getMetrics = async () =>
      Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
    const m0 = await getMetrics();
    if (PROFILE) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
      await cdp.send("Profiler.start");
    }
    const timeoutMs = TIMEOUT_S * 1000;
    const inPage = page.evaluate(measureInPage, { who, prompt: `long ${tokens}`, key, timeoutMs });
    // unref'd: a pending guard must not keep node alive for 190 s after the last run
    const guard = new Promise((resolve) => setTimeout(resolve, timeoutMs + 10000, null).unref());
    const r = await Promise.race([inPage, guard]);
    if (!r || r.done === null) {
      return { who, tokens, history: withHistory, finished: false, note: `did not finish within ${TIMEOUT_S} s` };
    }
    const m1 = await getMetrics(); // main-thread time by kind, send → reply whole (+ a frame)
    const spent = (k) => (m1[k] - m0[k]) * 1000;
    await sleep(300); // let the long-task and resource observers deliver
    const page2 = await page.evaluate((t0) => {
      const B = window.__bench;
      const res = B.resources.filter((e) => e.start >= t0 - 1).pop() ?? null;
      return { res, longtasks: B.longtasks.filter((e) => e.start >= t0 - 1), longtaskUnsupported: !!B.longtaskUnsupported };
    }, r.t0);
    const request = page2.res?.name ?? null;
    if (style === "responses" ? !/\/responses(\?|$)/.test(request ?? "") : !/\/chat\/completions(\?|$)/.test(request ?? "")) {
      throw new Error(`${who} (${style}): the reply came from ${request}, not the ${style} endpoint`);
    }
    let profile = null;
    if (PROFILE) profile = profileSummary((await cdp.send("Profiler.stop")).profile);
    await cdp.send("HeapProfiler.collectGarbage");
    const metrics = await getMetrics();
    const during = page2.longtasks.filter((e) => e.start <= r.done);
    const lastByte = page2.res?.responseEnd ?? null;
    return {
      who,
      tokens,
      history: withHistory,
      finished: true,
      request,
      first_token_ms: r.first - r.t0,
      total_ms: r.done - r.t0,
      last_byte_ms: lastByte === null ? null : lastByte - r.t0,
      last_byte_to_visible_ms: lastByte === null ? null : r.done - lastByte,
      longtasks: during.length,
      longest_task_ms: during.reduce((m, e) => Math.max(m, e.duration), 0),
      longtask_total_ms: during.reduce((s, e) => s + e.duration, 0),
      max_frame_gap_ms: r.maxGap,
      frames: r.frames,
      probe_ms: r.probeMs,
      task_ms: spent("TaskDuration"),
      script_ms: spent("ScriptDuration"),
      layout_ms: spent("LayoutDuration"),
      style_ms: spent("RecalcStyleDuration"),
      layouts: m1.LayoutCount - m0.LayoutCount,
      heap_mb: metrics.JSHeapUsedSize / 2 ** 20,
      dom_nodes: metrics.Nodes,
      visible_chars: r.chars,
      trace: r.trace,
      response_bytes: page2.res?.bytes ?? null,
      profile,
    };
  } finally {
    await browser.close().catch(() => {});
  }
}

function summarize(runs) {
  const ok = runs.filter((r) => r.finished);
  const base = runs[0];
  if (ok.length === 0) return { who: base.who, tokens: base.tokens, history: base.history, runs: runs.length, note: base.note };
  const keys = [
    "first_token_ms", "total_ms", "last_byte_ms", "last_byte_to_visible_ms", "longtasks", "longest_task_ms",
    "longtask_total_ms", "max_frame_gap_ms", "heap_mb", "dom_nodes", "probe_ms",
    "task_ms", "script_ms", "layout_ms", "style_ms", "layouts",
  ];
  const row = { who: base.who, tokens: base.tokens, history: base.history, runs: runs.length, finished: ok.length };
  for (const k of keys) row[k] = median(ok.map((r) => r[k]));
  row.per_token_us = (row.total_ms * 1000) / base.tokens;
  if (ok.length < runs.length) row.note = `${runs.length - ok.length} run(s) did not finish within ${TIMEOUT_S} s`;
  return row;
}

async function main() {
  const dists = distDirs();
  const who = ["ours", "deep-chat"].filter((w) => !ONLY || ONLY === w);
  const servers = [];
  const rows = [];
  const raw = [];
  try {
    for (const d of dists) {
      const site = makeSite(d.dir);
      servers.push({ ...d, site, server: await startDevServer(site.dir) });
    }
    // ours: one case per build × style × size; the peer once, from the first build's server.
    const cases = [];
    const sizes = () => [...TOKENS.map((t) => [t, false]), ...(flag("history") ? [[2000, true]] : [])];
    for (const w of who) {
      const variants = w === "ours"
        ? servers.flatMap((s) => STYLES.map((style) => ({ s, style })))
        : [{ s: servers[0], style: "chat" }];
      for (const [tokens, withHistory] of sizes()) {
        for (const { s, style } of variants) {
          const label = w !== "ours" || variants.length === 1 ? w
            : ["ours", dists.length > 1 ? s.label : null, STYLES.length > 1 ? style : null].filter(Boolean).join(" ");
          cases.push({ who: w, label, build: s.label, style, tokens, withHistory, s });
        }
      }
    }
    for (const c of cases) {
      c.runs = [];
      if (c.who === "ours" && !c.s.dir) {
        c.note = `not measured: no index.html in ${c.s.label} (pass --dist DIR)`;
        continue;
      }
      c.key = sentinelOf(await scriptedReply(c.s.server.origin, `long ${c.tokens}`));
      c.warmKey = sentinelOf(await scriptedReply(c.s.server.origin, "markdown"));
    }
    // Interleaved rounds, so that the machine's drift spreads over every case alike.
    for (let i = 0; i < RUNS; i++) {
      for (const c of cases) {
        if (c.note || c.runs.some((r) => !r.finished)) continue; // a run that timed out would only time out again
        const { s, runs, ...args } = c;
        const r = await oneRun({ origin: s.server.origin, ...args });
        runs.push(r);
        console.error(`${c.label} ${c.tokens}${c.withHistory ? " +history" : ""} run ${i + 1}: ${r.finished ? `${Math.round(r.total_ms)} ms` : r.note}`);
      }
    }
    for (const c of cases) {
      const { s, ...rest } = c;
      raw.push(rest);
      const row = c.note ? { who: c.who, tokens: c.tokens, history: c.withHistory, note: c.note } : summarize(c.runs);
      rows.push({ ...row, label: c.label, build: c.build, style: c.style });
    }
  } finally {
    for (const s of servers) {
      s.server?.stop();
      s.site.remove();
    }
  }
  // Targets: 20k visible ≤ 1 s after the last byte; no long task while streaming; 20k ≤ 12 × 2k.
  for (const r of rows) {
    const two = rows.find((x) => x.label === r.label && x.tokens === 2000 && !x.history);
    if (!r.history && r.tokens === 20000 && two?.total_ms && r.total_ms) r.x_of_2k = r.total_ms / two.total_ms;
    if (r.history && two?.per_token_us && r.per_token_us) r.x_of_2k = r.per_token_us / two.per_token_us;
  }
  printTable(rows.map((r) => ({ ...r, case: `${r.tokens}${r.history ? " +200 msgs" : ""}` })), [
    ["label", "who"], ["case", "tokens"], ["first_token_ms", "first token ms"], ["total_ms", "send→all visible ms"],
    ["last_byte_to_visible_ms", "last byte→visible ms"], ["longtasks", "long tasks"], ["longest_task_ms", "longest ms"],
    ["max_frame_gap_ms", "max frame gap ms"], ["heap_mb", "heap MB"], ["dom_nodes", "DOM nodes"],
    ["per_token_us", "µs/token"], ["x_of_2k", "× 2k"], ["note", "note"],
  ]);
  console.log("\nmain-thread time, send → reply whole (CDP Performance.getMetrics deltas, medians):");
  printTable(rows.map((r) => ({ ...r, case: `${r.tokens}${r.history ? " +200 msgs" : ""}` })), [
    ["label", "who"], ["case", "tokens"], ["task_ms", "tasks ms"], ["script_ms", "script ms"],
    ["layout_ms", "layout ms"], ["style_ms", "style ms"], ["layouts", "layouts"],
  ]);
  if (PROFILE) {
    for (const c of raw) {
      const p = c.runs.find((r) => r.profile)?.profile;
      if (!p) continue;
      console.log(`\nCPU profile, ${c.who} ${c.tokens}${c.withHistory ? " +200 msgs" : ""} (top self time, send → done):`);
      printTable(p, [["self_ms", "self ms"], ["share", "share"], ["fn", "function"]]);
    }
  }
  console.log("targets: 20k last byte→visible ≤ 1000 ms; no long task while streaming; 20k ≤ 12 × 2k; +200 msgs µs/token ≈ 1 × 2k");
  const file = writeResult(option("name", null, "stream-render"), {
    runs_per_case: RUNS, timeout_s: TIMEOUT_S, warmup: WARMUP, styles: STYLES, dists, rows, raw,
  });
  console.log(`results: ${file}`);
}

await main();
