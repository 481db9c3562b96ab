// Shared set-up for the end-to-end tests: starts the dev server (built app + demo endpoint)
// on a free loopback port and drives Debian's headless Chromium through playwright-core.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

const ROOT = new URL("..", import.meta.url).pathname;

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the dev server; resolves with `{ url, stop }` once it answers. */
export async function startServer({ delayMs = 15, extraArgs = [], env = {} } = {}) {
  const binary = `${ROOT}target/debug/dev-server`;
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run scripts/test.sh`);
  if (!existsSync(`${ROOT}dist/index.html`)) throw new Error("dist/ is missing: run scripts/build.sh");
  const port = await freePort();
  const child = spawn(
    binary,
    ["--host", "127.0.0.1", "--port", String(port), "--dist", `${ROOT}dist`, "--demo-delay-ms", String(delayMs), ...extraArgs],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dev server exited: ${output}`);
    try {
      const res = await fetch(`${url}/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`dev server did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", resolve);
        child.kill();
      }),
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** Opens a page and collects its console errors and uncaught exceptions. */
export async function openPage(browser, url, { viewport = { width: 1100, height: 800 }, colorScheme = "light" } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { page, context, problems };
}

/** The chat element's parts (Playwright's CSS engine pierces open shadow roots). */
export function parts(page, host = "foundry-chat") {
  const root = page.locator(host);
  const part = (name) => root.locator(`[part~="${name}"]`);
  return {
    root,
    part,
    input: part("input"),
    send: part("send"),
    stop: part("stop"),
    messages: part("messages"),
    assistant: part("message-assistant"),
    user: part("message-user"),
    error: part("error"),
  };
}

/** Calls element `id`'s `send` in the page; `{ok, value}` or `{ok: false, error: {...fields}}`. */
export function sendIn(page, id, text, options) {
  return page.evaluate(
    async ([id, text, options]) => {
      try {
        return { ok: true, value: await document.getElementById(id).send(text, options) };
      } catch (e) {
        return { ok: false, isError: e instanceof Error, error: { ...e, message: e.message } };
      }
    },
    [id, text, options],
  );
}
