// Writes the brotli (quality 11) and gzip (-9) twins of the text and wasm files in dist/
// (`name.br`, `name.gz`), which the dev server — like any static host set up for it — sends to
// a browser that accepts the encoding. A twin that would not be smaller is not written.
//
//   node scripts/precompress.mjs [DIR]   (default: dist)
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = process.argv[2] ?? "dist";
const COMPRESSIBLE = /\.(wasm|js|mjs|css|html|svg|json)$/;

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

let raw = 0;
let br = 0;
// Twins of an earlier run first: they are rewritten from the files as they are now.
for (const path of walk(root)) if (/\.(br|gz)$/.test(path)) rmSync(path);
for (const path of walk(root)) {
  if (!COMPRESSIBLE.test(path)) continue;
  const bytes = readFileSync(path);
  const twins = {
    br: brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    gz: gzipSync(bytes, { level: 9 }),
  };
  for (const [ext, packed] of Object.entries(twins)) {
    if (packed.length < bytes.length) writeFileSync(`${path}.${ext}`, packed);
  }
  raw += bytes.length;
  br += Math.min(twins.br.length, bytes.length);
}
console.log(`precompress: ${root}: ${raw} bytes → ${br} bytes brotli`);
