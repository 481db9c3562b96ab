// Accessibility of the standalone page: axe-core (every rule it runs by default, best
// practices included) over the app with a reply on screen and the settings panel open, wide and
// narrow, light and dark, must find no violation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { startServer, launchBrowser, openPage, parts } from "./harness.mjs";

// Injected as the script's text: index.html and the dev server set no Content-Security-Policy
// for the standalone page, so an inline script runs (a CSP that forbade it would make
// addScriptTag throw, and the test fail, rather than pass without checking).
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let server;
let browser;
before(async () => {
  server = await startServer({ delayMs: 0 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The violations axe-core reports for the whole document (shadow roots included). */
async function violations(page) {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ["violations"] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
}

for (const width of [1280, 360]) {
  for (const colorScheme of ["light", "dark"]) {
    test(`axe-core finds no violation at ${width} px, ${colorScheme}, with a reply and the settings open`, async () => {
      const { page, context, problems } = await openPage(browser, `${server.url}/`, {
        viewport: { width, height: 800 },
        colorScheme,
      });
      const chat = parts(page);
      await chat.input.fill("markdown");
      await chat.input.press("Enter");
      await chat.root.locator('[part~="message-assistant"][data-state="complete"]').waitFor({ timeout: 20000 });
      await chat.part("settings").click();
      await chat.root.locator(".fc-settings").waitFor();
      // The colour scheme is the one asked for (the element follows the system: theme="auto").
      const background = await chat.root
        .locator(".fc-app")
        .evaluate((el) => getComputedStyle(el).backgroundColor);
      const [r, g, b] = background.match(/\d+/g).map(Number);
      assert.equal(r + g + b < 3 * 128, colorScheme === "dark", `background ${background}`);

      const found = await violations(page);
      assert.deepEqual(found, [], JSON.stringify(found, null, 2));
      assert.equal(await page.locator("main").count(), 1, "one main landmark");
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}
