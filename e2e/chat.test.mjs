// The chat against the demo endpoint: stopping, dropped connections, every error kind's own
// message, and replies that try to inject markup.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, openPage, parts } from "./harness.mjs";

let server;
let browser;
before(async () => {
  server = await startServer({ delayMs: 10 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

async function chatPage(attrs = {}) {
  const opened = await openPage(browser, `${server.url}/`);
  const { page } = opened;
  await page.locator("foundry-chat").waitFor();
  for (const [name, value] of Object.entries(attrs)) {
    await page.evaluate(([n, v]) => document.querySelector("foundry-chat").setAttribute(n, v), [name, value]);
  }
  return { ...opened, chat: parts(page) };
}

async function say(chat, text) {
  await chat.input.fill(text);
  await chat.input.press("Enter");
}

async function lastAssistantDone(chat) {
  const done = chat.root.locator('[part~="message-assistant"]:not([data-state="streaming"])').last();
  await done.waitFor({ timeout: 20000 });
  return done;
}

test("Stop keeps the partial reply and marks it as stopped", async () => {
  const { chat, context, problems } = await chatPage();
  await say(chat, "slow");
  await chat.assistant.last().locator(".fc-body").filter({ hasText: /\S/ }).waitFor();
  await chat.stop.click();
  const reply = await lastAssistantDone(chat);
  assert.equal(await reply.getAttribute("data-state"), "stopped");
  const text = await reply.locator(".fc-body").textContent();
  assert.ok(text.trim().length > 0, "the partial text is kept");
  assert.match(await reply.textContent(), /stopped/i);
  await chat.send.waitFor();
  const messages = await chat.root.evaluate((el) => el.messages);
  assert.equal(messages.length, 2);
  assert.equal(messages[1].stopped, true);
  assert.equal(messages[1].content.trim(), text.trim(), "the transcript keeps exactly the text shown");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a dropped connection keeps the partial text and says what happened", async () => {
  const { chat, context } = await chatPage();
  await say(chat, "drop");
  const reply = await lastAssistantDone(chat);
  assert.equal(await reply.getAttribute("data-state"), "error");
  assert.ok((await reply.locator(".fc-body").textContent()).trim().length > 0);
  const error = reply.locator('[part~="error"]');
  assert.equal(await error.getAttribute("data-kind"), "network");
  assert.match(await error.textContent(), /connection/i);
  await context.close();
});

for (const [trigger, kind, words] of [
  ["content filter", "content_filter", /content filter[\s\S]*violence/i],
  ["not found", "not_found", /deployment|model name/i],
  ["server error", "server_error", /server/i],
]) {
  test(`"${trigger}" shows the ${kind} error in plain words`, async () => {
    const { chat, context } = await chatPage();
    await say(chat, trigger);
    const reply = await lastAssistantDone(chat);
    const error = reply.locator('[part~="error"]');
    assert.equal(await error.getAttribute("data-kind"), kind);
    assert.match(await error.textContent(), words);
    await context.close();
  });
}

test("a wrong key shows the auth error with its hint", async () => {
  const { chat, context } = await chatPage({ "api-key": "wrong-key" });
  await say(chat, "hello");
  const reply = await lastAssistantDone(chat);
  const error = reply.locator('[part~="error"]');
  assert.equal(await error.getAttribute("data-kind"), "auth");
  assert.match(await error.textContent(), /key/i);
  await context.close();
});

test("a reply with script, event-handler and javascript: payloads executes nothing", async () => {
  const { page, chat, context, problems } = await chatPage();
  await page.evaluate(() => {
    window.__xss = 0;
    window.alert = () => (window.__xss += 1);
  });
  await say(chat, "xss");
  const reply = await lastAssistantDone(chat);
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), 0);
  const body = reply.locator(".fc-body");
  assert.equal(await body.locator("script, iframe, object, embed").count(), 0);
  assert.equal(await body.locator("[onerror], [onload], [onclick]").count(), 0);
  assert.equal(await body.locator("img").count(), 0, "no remote image is loaded");
  for (const href of await body.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href")))) {
    assert.match(href, /^(https?:|mailto:|#|\/)/, `unsafe link ${href}`);
  }
  assert.match(await body.textContent(), /<script>/, "the markup is shown as text");
  assert.deepEqual(problems, []);
  await context.close();
});
