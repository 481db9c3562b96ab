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

const FINISHED = '[part~="message-assistant"]:not([data-state="streaming"])';

/** Sends a message; the next `lastAssistantDone` waits for its reply. */
async function say(chat, text) {
  chat.expected = (await chat.root.locator(FINISHED).count()) + 1;
  await chat.input.fill(text);
  await chat.input.press("Enter");
}

/** Waits until the chat is idle again (reply finished) and returns the last reply. */
async function lastAssistantDone(chat) {
  const done = chat.root.locator(FINISHED).nth((chat.expected ?? 1) - 1);
  await done.waitFor({ timeout: 20000 });
  await chat.send.waitFor({ timeout: 20000 });
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
  assert.match(await reply.textContent(), /Stopped — the reply above is partial\./);
  await chat.send.waitFor();
  const messages = await chat.root.evaluate((el) => el.messages);
  assert.equal(messages.length, 2);
  assert.equal(messages[1].stopped, true);
  assert.equal(messages[1].content.trim(), text.trim(), "the transcript keeps exactly the text shown");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a reply stopped before its first token says it never began, not that it is partial", async () => {
  const { chat, page, context, problems } = await chatPage();
  // The request is held unanswered: not one byte of the reply arrives before Stop.
  await page.route("**/chat/completions**", () => {});
  await say(chat, "hello");
  await chat.root.getByText("Waiting for the reply…").waitFor();
  await chat.stop.click();
  const reply = await lastAssistantDone(chat);
  assert.equal(await reply.getAttribute("data-state"), "stopped");
  assert.equal((await reply.locator(".fc-body").textContent()).trim(), "");
  const shown = await reply.textContent();
  assert.match(shown, /Stopped before the reply began\./);
  assert.doesNotMatch(shown, /partial/);
  const messages = await chat.root.evaluate((el) => el.messages);
  assert.equal(messages.length, 2);
  assert.equal(messages[1].stopped, true);
  assert.equal(messages[1].content, "");
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

test("a 429 shows its countdown, retries by itself and never duplicates the user's message", async () => {
  const { chat, page, context } = await chatPage();
  const posts = [];
  page.on("request", (r) => r.method() === "POST" && posts.push(r.url()));
  await say(chat, "rate limit");
  const countdown = chat.root.locator("[data-retry]");
  await countdown.waitFor({ timeout: 5000 });
  assert.match(await countdown.textContent(), /Retrying in [12] s/);
  const reply = await lastAssistantDone(chat);
  assert.equal(await reply.getAttribute("data-state"), "complete");
  assert.equal(await chat.user.count(), 1);
  assert.equal(posts.length, 2, "one failed request and one retry");
  const messages = await chat.root.evaluate((el) => el.messages);
  assert.deepEqual(messages.map((m) => m.role), ["user", "assistant"]);
  await context.close();
});

test("Regenerate replaces the reply; Edit & resend replaces the turns after the message", async () => {
  const { chat, context } = await chatPage();
  await say(chat, "markdown");
  await lastAssistantDone(chat);
  await say(chat, "think about it");
  let reply = await lastAssistantDone(chat);
  const firstId = await reply.getAttribute("data-id");
  await reply.getByRole("button", { name: "Regenerate" }).click();
  await chat.root.locator(`[part~="message-assistant"][data-id="${firstId}"]`).waitFor({ state: "detached" });
  reply = await lastAssistantDone(chat);
  let messages = await chat.root.evaluate((el) => el.messages);
  assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "user", "assistant"]);
  assert.equal(messages[2].content, "think about it");

  await chat.user.first().getByRole("button", { name: /Edit/ }).click();
  const box = chat.root.locator(".fc-edit textarea");
  await box.fill("xss please");
  chat.expected = 1;
  await chat.root.getByRole("button", { name: "Save & resend" }).click();
  await chat.root.locator('[part~="message-user"]').nth(1).waitFor({ state: "detached" });
  await lastAssistantDone(chat);
  messages = await chat.root.evaluate((el) => el.messages);
  assert.deepEqual(messages.map((m) => m.role), ["user", "assistant"]);
  assert.equal(messages[0].content, "xss please");
  assert.match(messages[1].content, /script/);
  await context.close();
});

test("a reply cut at max_tokens says so and Continue asks for the rest", async () => {
  const { chat, context } = await chatPage();
  await chat.part("settings").click();
  await chat.root.getByLabel("Max tokens").fill("5");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  await say(chat, "markdown");
  const reply = await lastAssistantDone(chat);
  assert.match(await reply.textContent(), /cut off at the token limit/i);
  const messages = await chat.root.evaluate((el) => el.messages);
  assert.equal(messages[1].finish_reason, "length");
  assert.equal(messages[1].usage.completion_tokens, 5);
  chat.expected += 1;
  await reply.getByRole("button", { name: "Continue" }).click();
  await chat.root.locator('[part~="message-assistant"]').nth(1).waitFor();
  assert.equal(await chat.user.count(), 2);
  await context.close();
});

test("invalid settings are refused with the reason and nothing is sent", async () => {
  const { chat, page, context } = await chatPage();
  const posts = [];
  page.on("request", (r) => r.method() === "POST" && posts.push(r.url()));
  await chat.part("settings").click();
  await chat.root.getByLabel(/Temperature/).fill("9");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  assert.match(await chat.root.locator(".fc-settings [role=alert]").textContent(), /temperature must be between 0 and 2/i);
  await chat.root.getByLabel(/Extra parameters/).fill("{not json");
  await chat.root.getByLabel(/Temperature/).fill("");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  assert.match(await chat.root.locator(".fc-settings [role=alert]").textContent(), /JSON object/);
  assert.equal(posts.length, 0);
  await context.close();
});

test("a stream that stays silent past the configured timeout keeps its text and says so", async () => {
  const { chat, context } = await chatPage();
  await chat.part("settings").click();
  await chat.root.getByLabel(/Silence timeout/).fill("2");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  await say(chat, "stall");
  const reply = await lastAssistantDone(chat);
  assert.equal(await reply.getAttribute("data-state"), "error");
  assert.ok((await reply.locator(".fc-body").textContent()).trim().length > 0, "partial text kept");
  assert.match(await reply.locator('[part~="error"]').textContent(), /silent for 2 seconds/);
  await context.close();
});
