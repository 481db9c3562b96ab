// Trunk post_build hook (Trunk.toml): minifies the wasm-bindgen JS glue and its snippets in the
// staging dir with terser (npm, package.json), then rewrites the page's `integrity` hashes of
// the files it changed (trunk computed them before this hook ran). Export names are kept
// (`module: true` mangles only module-local names). Measured: glue 8.8 → 6.5 KB gzip -9,
// element.js 0.9 → 0.6 KB.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { minify } from "terser";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error("minify-glue: TRUNK_STAGING_DIR is not set (run as a trunk hook)");
  process.exit(1);
}

const files = [join(staging, "foundry_chat_app.js")];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".js")) files.push(path);
  }
};
if (existsSync(join(staging, "snippets"))) walk(join(staging, "snippets"));

const sri = (bytes) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;
const indexPath = join(staging, "index.html");
let index = existsSync(indexPath) ? readFileSync(indexPath, "utf8") : null;

for (const path of files) {
  if (!existsSync(path)) continue;
  const before = readFileSync(path);
  const out = await minify(before.toString("utf8"), { module: true, compress: true, mangle: true });
  writeFileSync(path, out.code);
  if (index !== null) index = index.replaceAll(sri(before), sri(Buffer.from(out.code)));
  console.log(`minify-glue: ${relative(staging, path)} ${before.length} → ${out.code.length} bytes`);
}
if (index !== null) writeFileSync(indexPath, index);
