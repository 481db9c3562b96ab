// Conversations benchmark (issue 16), release app in headless Chromium, its own IndexedDB:
//  - open: a stored conversation of 200 messages (100 markdown answers) opened with
//    openConversation(id) from an empty chat → the last message painted (two frames after it
//    is in the DOM);
//  - list: 1,000 stored conversations, page reload → every row of the list painted (the
//    load also reopens the newest one, the 200-message conversation), and when the composer
//    became usable (the start-up benchmark's probe); then a search typed into the list's
//    field → the filtered rows painted.
// Median of N runs (each in the same page, the store already filled).
//
//   node bench/conversations.mjs [--runs 9] [--name RESULT] [--dist DIR] [--dev-server PATH]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH, distDir, launchBrowser, makeSite, median, newContext, option, printTable, startDevServer, writeResult } from "./lib/env.mjs";

const RUNS = Number(option("runs", "BENCH_RUNS_CONVERSATIONS", "9"));
const LIST = 1000;
// The start-up benchmark's probe: when the composer became usable (ms since navigation start).
const ADAPTERS = readFileSync(join(BENCH, "lib/adapters.js"), "utf8");
const PROBE = readFileSync(join(BENCH, "lib/startup-probe.js"), "utf8");

/** One export file: `count` conversations of `messages` messages each. */
function exportFile(count, messages, first = 0) {
  const conversations = [];
  const now = Date.now();
  for (let c = first; c < first + count; c++) {
    const entries = [];
    for (let i = 0; i < messages / 2; i++) {
      entries.push({ id: `u${i}`, role: "user", content: `Question ${i} of chat ${c}: how does part ${i} work?${c % 100 === 7 ? " zebra" : ""}` });
      entries.push({
        id: `a${i}`,
        role: "assistant",
        content: `## Part ${i}\n\nPart ${i} works in **three** steps, with \`code ${i}\`:\n\n- first step\n- second step\n- third step\n\n\`\`\`js\nconst part${i} = ${i} * 2;\n\`\`\`\n\n| key | value |\n|-----|------:|\n| part | ${i} |\n`,
        finish_reason: "stop",
      });
    }
    conversations.push({ id: `bench-${c}`, title: `Chat ${c}`, created_at: now - c * 1000, updated_at: now - c * 1000, entries });
  }
  return JSON.stringify({ format: "foundry-chat.conversations.v1", conversations });
}

/** In the page: resolves with ms from `t0` until `ready()` holds, two frames later. */
const paintedAfter = `window.__painted = (t0, ready) => new Promise((resolve) => {
  const tick = () => {
    if (!ready()) return requestAnimationFrame(tick);
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
  };
  tick();
});`;

const dist = distDir();
if (!dist) throw new Error("no dist/: run scripts/build.sh or pass --dist DIR");
const site = makeSite(dist);
const server = await startDevServer(site.dir);
const browser = await launchBrowser();
const rows = [];
const raw = {};
try {
  const context = await newContext(browser);
  await context.addInitScript(paintedAfter);
  await context.addInitScript(ADAPTERS);
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  await page.goto(`${server.origin}/index.html`);
  await page.waitForFunction(() => document.querySelector("foundry-chat")?.shadowRoot?.querySelector('[part~="input"]'));

  // 1. Open a conversation of 200 messages.
  const [id] = await page.evaluate((text) => document.querySelector("foundry-chat").importConversations(text), exportFile(1, 200));
  const open = [];
  for (let i = 0; i < RUNS; i++) {
    open.push(
      await page.evaluate(async (id) => {
        const el = document.querySelector("foundry-chat");
        el.clear();
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const messages = () => el.shadowRoot.querySelectorAll('[part~="message"]');
        const t0 = performance.now();
        await el.openConversation(id);
        return window.__painted(t0, () => messages().length === 200);
      }, id),
    );
  }
  raw.open_200 = open;
  rows.push({ case: "open a conversation of 200 messages → painted", median_ms: median(open), min_ms: Math.min(...open), runs: RUNS });

  // 2. The list with 1,000 conversations (4 messages each; every 100th mentions a zebra).
  await page.evaluate((text) => document.querySelector("foundry-chat").importConversations(text), exportFile(LIST - 1, 4, 1));
  const listed = [];
  const search = [];
  const composer = [];
  for (let i = 0; i < RUNS; i++) {
    await page.reload();
    const t = await page.evaluate(
      (count) =>
        window.__painted(0, () => (document.querySelector("foundry-chat")?.shadowRoot?.querySelectorAll(".fc-conv-open").length ?? 0) === count),
      LIST,
    );
    listed.push(t);
    composer.push(await page.evaluate(() => window.__composerReady));
    search.push(
      await page.evaluate(async () => {
        const root = document.querySelector("foundry-chat").shadowRoot;
        const field = root.querySelector('input[type="search"]');
        const t0 = performance.now();
        field.value = "zebra";
        field.dispatchEvent(new Event("input", { bubbles: true }));
        const t = await window.__painted(t0, () => root.querySelectorAll(".fc-conv-open").length === 10);
        field.value = "";
        field.dispatchEvent(new Event("input", { bubbles: true }));
        return t;
      }),
    );
  }
  raw.list_1000 = listed;
  raw.search_1000 = search;
  raw.composer_1000 = composer;
  rows.push({ case: `with ${LIST} stored (warm): navigation → composer usable`, median_ms: median(composer), min_ms: Math.min(...composer), runs: RUNS });
  rows.push({ case: `list of ${LIST} conversations: navigation → every row painted`, median_ms: median(listed), min_ms: Math.min(...listed), runs: RUNS });
  rows.push({ case: `search "zebra" in ${LIST} (title + text) → 10 rows painted`, median_ms: median(search), min_ms: Math.min(...search), runs: RUNS });
  await context.close();
} finally {
  await browser.close();
  server.stop();
  site.remove();
}
printTable(rows, [
  ["case", "case"],
  ["median_ms", "median ms"],
  ["min_ms", "min ms"],
  ["runs", "runs"],
]);
const file = writeResult(option("name", null, "conversations"), { rows, raw });
console.log(`\nresults: ${file}`);
