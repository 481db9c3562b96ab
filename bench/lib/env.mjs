// Shared plumbing of the benchmarks: paths, the dev server, the site directory it serves,
// headless Chromium, small statistics and result files.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const BENCH = join(ROOT, "bench");

/** `--name value` or `--name=value` from argv, else the environment variable, else `dflt`. */
export function option(name, envName, dflt) {
  const argv = process.argv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3);
  }
  return (envName && process.env[envName]) || dflt;
}
export const flag = (name) => process.argv.includes(`--${name}`);

/** The built component to measure: `--dist DIR` or FOUNDRY_DIST, default `<repo>/dist`. */
export function distDir() {
  const dir = option("dist", "FOUNDRY_DIST", join(ROOT, "dist"));
  return existsSync(join(dir, "index.html")) ? dir : null;
}

/**
 * The builds to measure side by side in one run: `--dist DIR[,DIR…]` (or FOUNDRY_DIST), each
 * entry optionally `LABEL=DIR`; default `<repo>/dist`. `dir` is null where there is no
 * index.html; `label` defaults to the directory's path.
 */
export function distDirs() {
  return option("dist", "FOUNDRY_DIST", join(ROOT, "dist"))
    .split(",")
    .map((spec) => {
      const m = /^([\w.-]+)=(.+)$/.exec(spec);
      const path = m ? m[2] : spec;
      return { label: m ? m[1] : path, dir: existsSync(join(path, "index.html")) ? path : null };
    });
}

/** The dev-server binary: `--dev-server PATH` or DEV_SERVER, else built in this repo. */
export function devServerBinary() {
  const given = option("dev-server", "DEV_SERVER", null);
  if (given) return given;
  for (const profile of ["release", "debug"]) {
    const path = join(ROOT, "target", profile, "dev-server");
    if (existsSync(path)) return path;
  }
  console.error("bench: building the dev server (cargo build -p dev-server)…");
  const built = spawnSync("cargo", ["build", "-p", "dev-server"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error("cannot build the dev server; pass --dev-server PATH");
  return join(ROOT, "target", "debug", "dev-server");
}

/**
 * A directory the dev server serves: a copy of our dist (when there is one) plus the bench
 * pages and the peer's files under /bench/.
 */
export function makeSite(dist) {
  const site = mkdtempSync(join(tmpdir(), "foundry-bench-"));
  if (dist) cpSync(dist, site, { recursive: true });
  else writeFileSync(join(site, "index.html"), "<!doctype html><title>no dist</title>");
  const b = join(site, "bench");
  mkdirSync(b, { recursive: true });
  cpSync(join(BENCH, "peer"), join(b, "peer"), { recursive: true });
  cpSync(join(ROOT, "node_modules/deep-chat/dist/deepChat.bundle.js"), join(b, "peer/deepChat.bundle.js"));
  cpSync(join(ROOT, "node_modules/eventsource-parser/dist"), join(b, "eventsource-parser"), { recursive: true });
  cpSync(join(BENCH, "decoder.html"), join(b, "decoder.html"));
  for (const pkg of ["pkg", "pkg-o3"]) {
    const dir = join(BENCH, "decoder-wasm", pkg);
    if (existsSync(dir)) cpSync(dir, join(b, `decoder-${pkg}`), { recursive: true });
  }
  return { dir: site, remove: () => rmSync(site, { recursive: true, force: true }) };
}

/** Starts the dev server on a free loopback port with no demo pacing. */
export async function startDevServer(siteDir) {
  const bin = devServerBinary();
  const child = spawn(bin, ["--host", "127.0.0.1", "--port", "0", "--dist", siteDir, "--demo-delay-ms", process.env.DEMO_DELAY ?? "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev server did not start: ${log}`)), 15000);
    const onData = (d) => {
      log += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`dev server exited (${code}): ${log}`)));
  });
  return { origin, stop: () => child.kill("SIGTERM") };
}

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
  // Loopback only: any other host fails to resolve at once (the peer asks for a web font).
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/** A fresh browser context (own cache and storage) with the benchmark viewport. */
export function newContext(browser) {
  return browser.newContext({ viewport: { width: 1000, height: 800 } });
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: option("chromium", "CHROMIUM", "/usr/bin/chromium"),
    args: CHROMIUM_ARGS,
  });
}

export const median = (xs) => {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    chromium: spawnSync(option("chromium", "CHROMIUM", "/usr/bin/chromium"), ["--version"], { encoding: "utf8" }).stdout?.trim(),
  };
}

export function writeResult(name, data) {
  const dir = join(BENCH, "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...data }, null, 2));
  return file;
}

/** Prints rows (objects) as an aligned table with the given columns [key, title]. */
export function printTable(rows, columns) {
  const cells = rows.map((r) => columns.map(([k]) => fmt(r[k])));
  const widths = columns.map(([, t], i) => Math.max(t.length, ...cells.map((c) => c[i].length)));
  const line = (xs) => xs.map((x, i) => x.padStart(widths[i])).join("  ");
  console.log(line(columns.map(([, t]) => t)));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const c of cells) console.log(line(c));
}
function fmt(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(1);
  return String(v);
}

/** Top self-time functions of a CDP `Profiler.stop` profile. */
export function profileSummary(profile, top = 15) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]);
    if (!node) continue;
    const f = node.callFrame;
    const url = f.url ? f.url.replace(/^.*\//, "") : "";
    const key = `${f.functionName || "(anonymous)"} ${url}${f.url ? `:${f.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + (timeDeltas[i + 1] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, ms]) => ({ fn, self_ms: Math.round(ms), share: `${((100 * ms) / total).toFixed(1)}%` }));
}
