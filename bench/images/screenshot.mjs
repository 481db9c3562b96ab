// Screenshots of the composer with attached images (and one refusal) at 1100 and 360 px,
// light and dark: `node bench/images/screenshot.mjs [outdir]` after scripts/build.sh.
import { deflateSync, crc32 } from "node:zlib";
import { startServer, launchBrowser, openPage, parts } from "../../e2e/harness.mjs";

const out = process.argv[2] ?? "/tmp";

function png(width, height, tint) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([(x * 255) / width, (y * 255) / height, tint], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const server = await startServer({ delayMs: 5 });
const browser = await launchBrowser();
try {
  for (const width of [1100, 360]) {
    for (const colorScheme of ["light", "dark"]) {
      const { page, context } = await openPage(browser, `${server.url}/`, { viewport: { width, height: 640 }, colorScheme });
      const chat = parts(page);
      await page.locator("foundry-chat").waitFor();
      const picker = chat.root.locator('input[type="file"]');
      await picker.setInputFiles([
        { name: "sunset.png", mimeType: "image/png", buffer: png(320, 200, 40) },
        { name: "chart.png", mimeType: "image/png", buffer: png(120, 240, 200) },
      ]);
      await chat.root.locator('[part~="attachment"][data-state="ready"]').nth(1).waitFor();
      await chat.input.fill("What do these show?");
      await chat.send.click();
      await chat.root.locator('[part~="message-assistant"]:not([data-state="streaming"])').last().waitFor();
      await picker.setInputFiles([
        { name: "next.png", mimeType: "image/png", buffer: png(200, 200, 120) },
        { name: "scan.png", mimeType: "image/png", buffer: Buffer.from("%PDF-1.7\n") },
      ]);
      await chat.root.locator('[part~="attachment"][data-state="ready"]').first().waitFor();
      await chat.part("refusal").first().waitFor();
      await chat.input.fill("And this one?");
      const file = `${out}/images-${width}-${colorScheme}.png`;
      await page.screenshot({ path: file });
      console.log(file);
      await context.close();
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
