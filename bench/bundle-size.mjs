// Bundle size of the web component: everything a page downloads for it (wasm + JS + CSS),
// raw, gzip -9 and brotli, beside the peer's self-contained bundle measured the same way in the
// same run. `--check` fails when gzip -9 exceeds the budget in bench/bundle-budget.json (the
// budget only ever goes down).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const ROOT = new URL("..", import.meta.url).pathname;
const DIST = join(ROOT, "dist");
const budget = JSON.parse(readFileSync(join(ROOT, "bench/bundle-budget.json"), "utf8"));

// The component's files: the loader, the wasm-bindgen glue, its snippets and the wasm.
// (The component's CSS is compiled into the wasm; style/page.css and embed.js belong to the demo
// pages only.)
function componentFiles() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(wasm|js)$/.test(name)) files.push(path);
    }
  };
  walk(DIST);
  return files.filter((f) => !f.includes("/bench/") && !f.endsWith("/embed.js"));
}

const PEER = join(ROOT, "node_modules/deep-chat/dist/deepChat.bundle.js");

function measure(path) {
  const bytes = readFileSync(path);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
    }).length,
  };
}

const rows = componentFiles().map((path) => ({
  file: path.slice(DIST.length + 1),
  ...measure(path),
}));
const total = rows.reduce(
  (t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }),
  { raw: 0, gzip: 0, brotli: 0 },
);
const line = (name, r) =>
  `${name.padEnd(48)} raw ${String(r.raw).padStart(8)}  gzip-9 ${String(r.gzip).padStart(7)}  brotli ${String(r.brotli).padStart(7)}`;
for (const r of rows) console.log(line(r.file, r));
console.log(line("total", total));
if (existsSync(PEER)) {
  const peer = measure(PEER);
  console.log(line("peer: deep-chat dist/deepChat.bundle.js", peer));
  console.log(`ours / peer (gzip -9): ${(total.gzip / peer.gzip).toFixed(2)}x`);
  // The same files through gzip(1) -9, the tool the peer figure (110,637) was taken with.
  const cli = (path) => execFileSync("gzip", ["-9c", path], { maxBuffer: 1 << 26 }).length;
  const ours = rows.reduce((t, r) => t + cli(join(DIST, r.file)), 0);
  console.log(`gzip(1) -9: ours ${ours} bytes, deep-chat ${cli(PEER)} bytes`);
} else {
  console.log("peer: node_modules/deep-chat is missing (npm ci)");
}
console.log(`budget (gzip -9): ${budget.gzip_bytes} bytes`);

if (process.argv.includes("--check")) {
  if (rows.length === 0) {
    console.error("bundle: no component files in dist/ (build first)");
    process.exit(1);
  }
  if (total.gzip > budget.gzip_bytes) {
    console.error(`bundle: ${total.gzip} bytes gzip -9 is over the budget of ${budget.gzip_bytes}`);
    process.exit(1);
  }
  console.log(`bundle: within budget (${budget.gzip_bytes - total.gzip} bytes to spare)`);
}
