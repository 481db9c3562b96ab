// The first vertical slice: the standalone page, pointed at the demo endpoint, streams a
// reply token by token into the chat.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, openPage, parts } from "./harness.mjs";

let server;
let browser;
before(async () => {
  server = await startServer({ delayMs: 20 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Records the streaming reply's text length on every DOM change until it is finished. */
function recordGrowth(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const root = document.querySelector("foundry-chat").shadowRoot;
        const lengths = [];
        const observer = new MutationObserver(() => {
          const live = root.querySelector('[data-state="streaming"] .fc-body');
          if (live) {
            const n = live.textContent.length;
            if (n > 0 && lengths[lengths.length - 1] !== n) lengths.push(n);
          } else if (lengths.length > 0) {
            observer.disconnect();
            resolve(lengths);
          }
        });
        observer.observe(root, { subtree: true, childList: true, characterData: true });
        setTimeout(() => resolve(lengths), 20000);
      }),
  );
}

test("a message sent with Enter gets a reply that streams in and grows", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/`);
  const chat = parts(page);
  await chat.input.fill("Hello there");
  const growth = recordGrowth(page);
  await chat.input.press("Enter");
  const lengths = await growth;
  await chat.assistant.last().waitFor();
  assert.equal(await chat.user.count(), 1);
  assert.equal((await chat.user.first().locator(".fc-body").textContent()).trim(), "Hello there");
  assert.ok(lengths.length >= 2, `expected at least two partial lengths, saw ${JSON.stringify(lengths)}`);
  // (Markdown may shorten the text for a moment, e.g. when `**` closes into bold.)
  assert.ok(lengths[0] < lengths[lengths.length - 1], `the reply did not grow: ${lengths}`);
  const finalText = await chat.assistant.last().textContent();
  assert.ok(finalText.length >= lengths[lengths.length - 1], "the final reply is shorter than a partial one");
  assert.match(finalText, /demo/i);
  assert.equal(await chat.input.inputValue(), "", "the composer is emptied after sending");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the Send button sends too, and becomes Stop while the reply streams", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/`);
  const chat = parts(page);
  await chat.input.fill("slow");
  await chat.send.click();
  await chat.stop.waitFor();
  assert.equal(await chat.send.count(), 0, "Send and Stop never show together");
  await chat.send.waitFor({ timeout: 20000 });
  assert.equal(await chat.stop.count(), 0);
  assert.equal(await chat.assistant.count(), 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test("an unpaced server's long reply still paints progressively", async () => {
  const fast = await startServer({ delayMs: 0 });
  try {
    const { page, context } = await openPage(browser, `${fast.url}/`);
    const chat = parts(page);
    await chat.input.fill("long 20000");
    const growth = recordGrowth(page);
    await chat.input.press("Enter");
    const lengths = await growth;
    assert.ok(lengths.length >= 2, `expected partial paints, saw ${JSON.stringify(lengths)}`);
    // Shown over many frames, nothing is lost or doubled: the finished reply equals the same
    // transcript rendered from scratch after a reload.
    const body = chat.root.locator('[part~="message-assistant"][data-state="complete"] .fc-body');
    await body.waitFor({ timeout: 30000 });
    const html = () => body.evaluate((el) => el.innerHTML.replaceAll("<!---->", ""));
    const streamed = await html();
    assert.ok(streamed.length > 100000, `a 20,000-token reply, got ${streamed.length} bytes`);
    await page.reload();
    await body.waitFor();
    assert.equal(await html(), streamed);
    await context.close();
  } finally {
    await fast.stop();
  }
});

test("a finished reply keeps the nodes it streamed into, and they equal a fresh rendering", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/`);
  const chat = parts(page);
  await chat.input.fill("markdown");
  // Tag the first block of the streaming reply once it is finished (a second block began).
  const tagged = page.evaluate(
    () =>
      new Promise((resolve) => {
        const root = document.querySelector("foundry-chat").shadowRoot;
        const observer = new MutationObserver(() => {
          const blocks = root.querySelectorAll('[data-state="streaming"] .fc-body > *');
          if (blocks.length >= 2) {
            const first = blocks[0];
            first.dataset.streamed = "yes";
            observer.disconnect();
            resolve(first.tagName);
          }
        });
        observer.observe(root, { subtree: true, childList: true });
        setTimeout(() => resolve(null), 20000);
      }),
  );
  await chat.input.press("Enter");
  assert.ok(await tagged, "the streaming reply never showed a block");
  const done = chat.root.locator('[part~="message-assistant"][data-state="complete"]');
  await done.waitFor({ timeout: 20000 });
  const body = done.locator(".fc-body");
  assert.equal(await body.locator(':scope > [data-streamed="yes"]').count(), 1, "the first block was rebuilt");
  // (Comments are the framework's placeholders, not content.)
  const streamed = await body.evaluate((el) => {
    el.querySelector('[data-streamed="yes"]').removeAttribute("data-streamed");
    return el.innerHTML.replaceAll("<!---->", "");
  });
  assert.match(streamed, /<table>/);
  assert.match(streamed, /<pre/);
  // The page persists the transcript: after a reload the same reply is rendered from scratch.
  await page.reload();
  const restored = chat.root.locator('[part~="message-assistant"][data-state="complete"] .fc-body');
  await restored.waitFor();
  assert.equal(await restored.evaluate((el) => el.innerHTML.replaceAll("<!---->", "")), streamed);
  assert.deepEqual(problems, []);
  await context.close();
});

test("when a long reply finishes, the list follows it down to its actions", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/`, { viewport: { width: 360, height: 640 } });
  const chat = parts(page);
  await chat.input.fill("markdown");
  await chat.input.press("Enter");
  const done = chat.root.locator('[part~="message-assistant"][data-state="complete"]');
  await done.waitFor({ timeout: 20000 });
  const actions = done.locator(".fc-actions").last();
  await actions.waitFor();
  // Give the follow-up scroll its animation frame, then compare the boxes.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const list = await chat.messages.boundingBox();
  const box = await actions.boundingBox();
  assert.ok(list.height < (await chat.messages.evaluate((el) => el.scrollHeight)), "the reply must overflow the list");
  assert.ok(box.y + box.height <= list.y + list.height + 1, `actions end at ${box.y + box.height}, the list at ${list.y + list.height}`);
  assert.deepEqual(problems, []);
  await context.close();
});
