// Screenshots of the settings panel (opened with the settings button on index.html, the demo's
// default page) at 1280 and 360 px wide, for one or more builds, to compare them by eye:
//
//   node bench/settings-screenshot.mjs [--dist [LABEL=]DIR[,[LABEL=]DIR…]] [--out /tmp/shots]
//
// Writes OUT/settings-LABEL-WIDTH.png (the viewport, 900 px high) and
// OUT/settings-LABEL-WIDTH-full.png (the whole page).
import { mkdirSync } from "node:fs";
import { distDirs, launchBrowser, makeSite, option, startDevServer } from "./lib/env.mjs";

const out = option("out", null, "/tmp/shots");
mkdirSync(out, { recursive: true });
const browser = await launchBrowser();
try {
  for (const d of distDirs()) {
    if (!d.dir) throw new Error(`no index.html in ${d.label}`);
    const site = makeSite(d.dir);
    const server = await startDevServer(site.dir);
    try {
      for (const width of [1280, 360]) {
        const context = await browser.newContext({ viewport: { width, height: 900 } });
        const page = await context.newPage();
        await page.goto(`${server.origin}/index.html`);
        await page.locator("foundry-chat [part~=input]").waitFor();
        await page.locator("foundry-chat button[part~=settings]").click();
        await page.locator("foundry-chat [part~=settings-panel]").waitFor();
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const name = d.label.replace(/[^\w.-]+/g, "_");
        for (const fullPage of [false, true]) {
          const file = `${out}/settings-${name}-${width}${fullPage ? "-full" : ""}.png`;
          await page.screenshot({ path: file, fullPage });
          console.log(file);
        }
        await context.close();
      }
    } finally {
      server.stop();
      site.remove();
    }
  }
} finally {
  await browser.close();
}
