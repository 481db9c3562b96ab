// The Responses API style (`api-style="responses"`) against the demo endpoint's
// /openai/v1/responses: what the browser sends (input items, instructions, flat tools,
// store, previous_response_id), the transcript entry it makes of the reply, and what the
// user sees — text, JSON mode, tools, images, stop, incomplete and failed replies, refused
// parameters, the previous-response-id fallback and a conversation that changes style.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, openPage, parts, sendIn } from "./harness.mjs";

let server;
let browser;
before(async () => {
  server = await startServer({ delayMs: 5 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const RESPONSES_ATTRS = { "api-style": "responses", endpoint: "openai/v1", model: "demo" };
const FINISHED = '[part~="message-assistant"]:not([data-state="streaming"])';

/**
 * Opens the embed page and points chat-a (key `demo-key`, a system prompt) at the demo's
 * Responses route, plus `attrs`. `posts()` are the requests to `/responses` so far, with
 * their parsed bodies.
 */
async function responsesPage(attrs = {}) {
  const opened = await openPage(browser, `${server.url}/embed.html`);
  const { page } = opened;
  const requests = [];
  page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postData() }));
  await page.waitForFunction(() => document.getElementById("chat-a")?.shadowRoot?.querySelector('[part~="input"]'));
  await setAttributes(page, { ...RESPONSES_ATTRS, ...attrs });
  const posts = () =>
    requests.filter((r) => r.method === "POST" && r.url.endsWith("/responses")).map((r) => ({ ...r, json: JSON.parse(r.body) }));
  return { ...opened, requests, posts, chat: parts(page, "#chat-a") };
}

function setAttributes(page, attrs) {
  return page.evaluate((attrs) => {
    const el = document.getElementById("chat-a");
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null) el.removeAttribute(name);
      else el.setAttribute(name, value);
    }
  }, attrs);
}

/** Calls chat-a's `send` in the page (see `sendIn`). */
const send = (page, text, options) => sendIn(page, "chat-a", text, options);

function messages(page) {
  return page.evaluate(() => document.getElementById("chat-a").messages);
}

/** A user `message` input item with one `input_text` part. */
function userItem(text) {
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}

/** An assistant `message` input item with one `output_text` part. */
function assistantItem(text) {
  return { type: "message", role: "assistant", content: [{ type: "output_text", text }] };
}

test("a streamed text reply: POST {endpoint}/responses with input items, instructions and store false; one entry with content, stop, usage and response_id", async () => {
  const { page, context, problems, posts, chat } = await responsesPage();
  const r = await send(page, "hello");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const entry = r.value;
  assert.equal(entry.role, "assistant");
  assert.match(entry.content, /scripted/i);
  assert.equal(entry.finish_reason, "stop");
  assert.match(entry.response_id, /^resp_/);
  assert.equal(typeof entry.usage.input_tokens, "number");
  assert.ok(entry.usage.output_tokens > 0);
  assert.equal(entry.usage.total_tokens, entry.usage.input_tokens + entry.usage.output_tokens);
  assert.equal(entry.usage.prompt_tokens, undefined, "the server's usage object as received");

  const [first] = posts();
  assert.equal(posts().length, 1);
  assert.equal(new URL(first.url).pathname, "/openai/v1/responses");
  assert.equal(new URL(first.url).search, "", "no api-version");
  assert.equal(first.headers["api-key"], "demo-key");
  assert.equal(first.headers.authorization, undefined);
  assert.deepEqual(first.json, {
    model: "demo",
    input: [userItem("hello")],
    instructions: "You are a helpful assistant.",
    store: false,
    stream: true,
  });

  const all = await messages(page);
  assert.equal(all.length, 2);
  assert.deepEqual(all[1], entry, "the transcript keeps the entry send() resolved with");
  const reply = chat.root.locator(FINISHED).last();
  assert.equal(await reply.getAttribute("data-state"), "complete");
  assert.match(await reply.locator(".fc-body").textContent(), /scripted/i);
  assert.equal(await chat.assistant.count(), 1);

  // The next request carries the whole history; the response_id metadata is never sent.
  const again = await send(page, "and again");
  assert.equal(again.ok, true);
  const second = posts()[1];
  assert.deepEqual(second.json.input, [userItem("hello"), assistantItem(entry.content), userItem("and again")]);
  assert.equal(second.json.store, false);
  assert.equal(second.json.previous_response_id, undefined);
  assert.equal(second.json.messages, undefined);
  assert.ok(!second.body.includes(entry.response_id), "response_id is metadata, never sent");
  assert.notEqual(again.value.response_id, entry.response_id);
  assert.deepEqual(problems, []);
  await context.close();
});

test('stream="false" reads the JSON response object into the same kind of entry', async () => {
  const { page, context, posts, chat } = await responsesPage({ stream: "false" });
  const r = await send(page, "hello");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(posts().length, 1);
  const body = posts()[0].json;
  assert.equal(body.stream, undefined, "no stream key");
  assert.deepEqual(body.input, [userItem("hello")]);
  assert.match(r.value.content, /scripted/i);
  assert.equal(r.value.finish_reason, "stop");
  assert.match(r.value.response_id, /^resp_/);
  assert.ok(r.value.usage.output_tokens > 0);
  assert.equal(r.value.usage.total_tokens, r.value.usage.input_tokens + r.value.usage.output_tokens);
  assert.match(await chat.root.locator(FINISHED).last().locator(".fc-body").textContent(), /scripted/i);
  await context.close();
});

test("tokenProvider's token goes as Bearer (no api-key); modelInfo() reads {endpoint}/models", async () => {
  const { page, context, posts, requests } = await responsesPage();
  const outcome = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    el.apiKey = null;
    el.tokenProvider = async () => "demo-key";
    const info = await el.modelInfo();
    const entry = await el.send("hello");
    return { info, finish: entry.finish_reason };
  });
  assert.equal(outcome.finish, "stop");
  assert.equal(outcome.info.model_name, "demo");
  const last = posts().at(-1);
  assert.equal(last.headers.authorization, "Bearer demo-key");
  assert.equal(last.headers["api-key"], undefined);
  assert.ok(requests.some((r) => new URL(r.url).pathname === "/openai/v1/models"), "modelInfo used /models");
  await context.close();
});

test("a tool round trip: function_call → tool entry → function_call and function_call_output with the same call_id → the final text", async () => {
  const { page, context, problems, posts, chat } = await responsesPage({ tools: "get_flight_info" });
  const r = await send(page, "Any flights from Miami to Seattle?");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.match(r.value.content, /The tool get_flight_info returned:/);
  assert.equal(r.value.finish_reason, "stop");

  const all = await messages(page);
  assert.deepEqual(all.map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
  const [, caller, result, final] = all;
  assert.equal(caller.finish_reason, "tool_calls");
  assert.equal(caller.tool_calls.length, 1);
  const call = caller.tool_calls[0];
  assert.equal(call.type, "function");
  assert.equal(call.function.name, "get_flight_info");
  assert.deepEqual(JSON.parse(call.function.arguments), { origin_city: "Miami", destination_city: "Seattle" });
  assert.match(call.id, /^call_/);
  assert.equal(result.tool_call_id, call.id);
  assert.deepEqual(final, r.value);

  const [first, second] = posts();
  assert.equal(posts().length, 2);
  for (const { json } of [first, second]) {
    assert.equal(json.tools.length, 1);
    const tool = json.tools[0];
    assert.equal(tool.type, "function");
    assert.equal(tool.name, "get_flight_info", "the flat function shape");
    assert.equal(tool.function, undefined, "not the nested chat-completions shape");
    assert.equal(typeof tool.description, "string");
    assert.equal(tool.parameters.type, "object");
  }
  assert.deepEqual(first.json.input, [userItem("Any flights from Miami to Seattle?")]);
  assert.deepEqual(second.json.input, [
    userItem("Any flights from Miami to Seattle?"),
    { type: "function_call", call_id: call.id, name: "get_flight_info", arguments: call.function.arguments },
    { type: "function_call_output", call_id: call.id, output: result.content },
  ]);
  assert.ok(r.value.content.includes(`returned: ${result.content}`), "the reply quotes the output the server received");

  const card = chat.part("tool-call");
  assert.equal(await card.count(), 1);
  assert.equal(await card.getAttribute("data-tool"), "get_flight_info");
  assert.match(await chat.root.locator(FINISHED).last().locator(".fc-body").textContent(), /get_flight_info returned/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("an image goes as an input_image part with its data URL; the transcript keeps the chat-shaped parts", async () => {
  const { page, context, posts, chat } = await responsesPage();
  const dataUrl = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(5, 7);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#c33";
    ctx.fillRect(0, 0, 5, 7);
    const blob = await canvas.convertToBlob({ type: "image/png" });
    return new Promise((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.readAsDataURL(blob);
    });
  });
  const r = await send(page, "What is in this?", { images: [dataUrl] });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.match(r.value.content, /Image 1: 5×7 pixels, \d+ bytes \(image\/png\)/);

  const content = posts()[0].json.input[0].content;
  assert.equal(content.length, 2);
  assert.deepEqual(content[0], { type: "input_text", text: "What is in this?" });
  assert.equal(content[1].type, "input_image");
  assert.match(content[1].image_url, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);

  const [user] = await messages(page);
  assert.deepEqual(user.content[0], { type: "text", text: "What is in this?" });
  assert.equal(user.content[1].type, "image_url");
  assert.equal(user.content[1].image_url.url, content[1].image_url, "the same image the transcript holds");
  assert.equal(await chat.user.locator("img").count(), 1, "the user sees the attached image");
  await context.close();
});

test("JSON mode: params.response_format becomes text.format and the reply is JSON", async () => {
  const { page, context, posts } = await responsesPage();
  await page.evaluate(() => (document.getElementById("chat-a").params = { response_format: { type: "json_object" } }));
  const r = await send(page, "hello");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const body = posts()[0].json;
  assert.deepEqual(body.text, { format: { type: "json_object" } });
  assert.equal(body.response_format, undefined);
  const reply = JSON.parse(r.value.content);
  assert.equal(reply.demo, true);
  assert.match(reply.answer, /scripted/i);
  assert.equal(r.value.finish_reason, "stop");

  const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
  await page.evaluate(
    (schema) =>
      (document.getElementById("chat-a").params = {
        response_format: { type: "json_schema", json_schema: { name: "answer", schema, strict: true } },
      }),
    schema,
  );
  const s = await send(page, "again");
  assert.equal(s.ok, true, JSON.stringify(s.error));
  assert.deepEqual(posts()[1].json.text, { format: { type: "json_schema", name: "answer", schema, strict: true } }, "flattened");
  assert.equal(JSON.parse(s.value.content).demo, true);
  await context.close();
});

test("params.reasoning is sent as reasoning; the reasoning summary becomes the entry's reasoning, shown apart from the answer", async () => {
  const { page, context, posts, chat } = await responsesPage();
  await page.evaluate(() => (document.getElementById("chat-a").params = { reasoning: { effort: "low", summary: "auto" } }));
  const r = await send(page, "hello");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.deepEqual(posts()[0].json.reasoning, { effort: "low", summary: "auto" });
  assert.ok(r.value.reasoning?.trim().length > 0, "the summary text");
  assert.ok(!r.value.content.includes(r.value.reasoning.trim()), "the summary is not part of the content");
  assert.match(r.value.content, /scripted/i);
  const details = chat.root.locator(FINISHED).last().locator("details.fc-reasoning");
  assert.equal(await details.count(), 1);
  await context.close();
});

test("Stop mid-stream keeps the partial text, marks it stopped and sends nothing more", async () => {
  const { page, context, problems, posts, chat } = await responsesPage();
  const pending = send(page, "slow");
  await chat.assistant.last().locator(".fc-body").filter({ hasText: /\S/ }).waitFor();
  await chat.stop.click();
  const r = await pending;
  assert.equal(r.ok, true, "a stop resolves send() with the partial entry");
  assert.equal(r.value.stopped, true);
  assert.ok(r.value.content.length > 0, "the partial text");
  assert.equal(r.value.error, undefined);
  const reply = chat.root.locator(FINISHED).last();
  assert.equal(await reply.getAttribute("data-state"), "stopped");
  assert.match(await reply.textContent(), /Stopped — the reply above is partial\./);
  assert.equal((await reply.locator(".fc-body").textContent()).trim(), r.value.content.trim(), "the text shown is the text kept");
  await chat.send.waitFor();
  await page.waitForTimeout(500);
  assert.equal(posts().length, 1, "nothing re-sent");
  const all = await messages(page);
  assert.equal(all.length, 2);
  assert.deepEqual(all[1], r.value);
  assert.equal(await page.evaluate(() => document.getElementById("chat-a").busy), false);
  assert.deepEqual(problems, []);
  await context.close();
});

test("an incomplete reply: max_tokens → max_output_tokens and finish_reason length; a content filter → content_filter", async () => {
  const { page, context, posts, chat } = await responsesPage();
  await page.evaluate(() => (document.getElementById("chat-a").params = { max_tokens: 3 }));
  const r = await send(page, "markdown");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const body = posts()[0].json;
  assert.equal(body.max_output_tokens, 3);
  assert.equal(body.max_tokens, undefined);
  assert.equal(r.value.finish_reason, "length");
  assert.equal(r.value.usage.output_tokens, 3);
  assert.ok(r.value.content.length > 0);
  const cut = chat.root.locator(FINISHED).last();
  assert.match(await cut.textContent(), /Cut off at the token limit/);
  assert.equal(await cut.getByRole("button", { name: "Continue" }).count(), 1);

  await page.evaluate(() => (document.getElementById("chat-a").params = {}));
  const f = await send(page, "stream filter");
  assert.equal(f.ok, true, JSON.stringify(f.error));
  assert.equal(f.value.finish_reason, "content_filter");
  assert.ok(f.value.content.length > 0, "the text before the filter is kept");
  assert.equal(f.value.error, undefined);
  const filtered = chat.root.locator(FINISHED).last();
  const notice = filtered.locator('[part~="error"]');
  assert.equal(await notice.getAttribute("data-kind"), "content_filter");
  assert.match(await notice.textContent(), /Blocked by the content filter/);
  assert.equal(posts().length, 2);
  await context.close();
});

test("a failed response (response.failed) keeps the text so far and sets the entry's error with the server's message", async () => {
  const { page, context, posts, chat } = await responsesPage();
  const r = await send(page, "stream error");
  assert.equal(r.ok, false);
  assert.equal(r.isError, true);
  assert.equal(r.error.kind, "stream_error");
  assert.equal(r.error.code, "server_error");
  assert.match(r.error.message, /scripted demo error/);
  const all = await messages(page);
  assert.equal(all.length, 2);
  const entry = all[1];
  assert.ok(entry.content.length > 0, "the text received before the failure");
  assert.equal(entry.error.kind, "stream_error");
  assert.equal(entry.error.code, "server_error");
  assert.match(entry.error.message, /scripted demo error/);
  assert.match(entry.response_id, /^resp_/);
  const reply = chat.root.locator(FINISHED).last();
  assert.equal(await reply.getAttribute("data-state"), "error");
  assert.equal((await reply.locator(".fc-body").textContent()).trim(), entry.content.trim());
  const shown = reply.locator('[part~="error"]');
  assert.equal(await shown.getAttribute("data-kind"), "stream_error");
  assert.match(await shown.textContent(), /scripted demo error/);
  assert.equal(posts().length, 1, "not retried: text had arrived");
  await context.close();
});

test('previous-response-id="on" chains on the last reply, and falls back to the full history once when the server forgot it', async () => {
  const { page, context, problems, posts, chat } = await responsesPage({ "previous-response-id": "on" });
  const first = await send(page, "hello");
  assert.equal(first.ok, true, JSON.stringify(first.error));
  assert.deepEqual(posts()[0].json.input, [userItem("hello")]);
  assert.equal(posts()[0].json.store, true);
  assert.equal(posts()[0].json.previous_response_id, undefined, "nothing to chain on yet");

  const second = await send(page, "tell me more");
  assert.equal(second.ok, true, JSON.stringify(second.error));
  const chained = posts()[1].json;
  assert.equal(chained.previous_response_id, first.value.response_id);
  assert.equal(chained.store, true);
  assert.deepEqual(chained.input, [userItem("tell me more")], "only the new items");
  assert.equal(chained.instructions, "You are a helpful assistant.", "instructions are sent with every request");

  await page.evaluate(() => {
    window.__errors = [];
    document.getElementById("chat-a").addEventListener("chat-error", (e) => window.__errors.push(e.detail));
  });
  const third = await send(page, "please forget responses now");
  assert.equal(third.ok, true, JSON.stringify(third.error));
  assert.equal(posts().length, 4, "the refused request and one full resend");
  const refused = posts()[2].json;
  assert.equal(refused.previous_response_id, second.value.response_id);
  assert.deepEqual(refused.input, [userItem("please forget responses now")]);
  const resent = posts()[3].json;
  assert.equal(resent.previous_response_id, undefined);
  assert.equal(resent.store, true, "a new chain is stored");
  assert.deepEqual(resent.input, [
    userItem("hello"),
    assistantItem(first.value.content),
    userItem("tell me more"),
    assistantItem(second.value.content),
    userItem("please forget responses now"),
  ]);
  assert.equal(third.value.finish_reason, "stop");
  assert.equal(third.value.error, undefined);
  assert.match(third.value.response_id, /^resp_/);

  const all = await messages(page);
  assert.deepEqual(all.map((m) => m.role), ["user", "assistant", "user", "assistant", "user", "assistant"], "the reply is there once");
  assert.deepEqual(all[5], third.value);
  assert.equal(await chat.assistant.count(), 3);
  assert.equal(await chat.user.count(), 3);
  assert.equal(await chat.error.count(), 0, "the fallback shows no error");
  assert.deepEqual(await page.evaluate(() => window.__errors), [], "and fires no chat-error");
  assert.equal(await chat.root.locator(FINISHED).last().getAttribute("data-state"), "complete");

  // The next turn chains on the new reply.
  const fourth = await send(page, "thanks");
  assert.equal(fourth.ok, true);
  assert.equal(posts()[4].json.previous_response_id, third.value.response_id);
  assert.deepEqual(posts()[4].json.input, [userItem("thanks")]);
  assert.deepEqual(problems.filter((p) => !/400/.test(p)), []);
  await context.close();
});

test('previous-response-id="on" in a tool round: the second request is only the function_call_output, chained on the reply that called', async () => {
  const { page, context, posts } = await responsesPage({ "previous-response-id": "on", tools: "get_flight_info" });
  const r = await send(page, "Any flights from Paris to Rome?");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const [, caller, result, final] = await messages(page);
  assert.equal(caller.finish_reason, "tool_calls");
  assert.match(caller.response_id, /^resp_/);
  assert.deepEqual(JSON.parse(caller.tool_calls[0].function.arguments), { origin_city: "Paris", destination_city: "Rome" });
  assert.equal(posts().length, 2);
  const second = posts()[1].json;
  assert.equal(second.previous_response_id, caller.response_id);
  assert.equal(second.store, true);
  assert.deepEqual(second.input, [{ type: "function_call_output", call_id: caller.tool_calls[0].id, output: result.content }]);
  assert.ok(final.content.includes(`returned: ${result.content}`), "the server answered from the stored call");
  assert.notEqual(final.response_id, caller.response_id);
  await context.close();
});

test("params the Responses API lacks (stop, seed) are refused before sending, naming the parameter", async () => {
  const { page, context, posts, chat } = await responsesPage();
  await page.evaluate(() => (document.getElementById("chat-a").params = { stop: ["\n\n"] }));
  const r = await send(page, "hello");
  assert.equal(r.ok, false);
  assert.equal(r.isError, true);
  assert.equal(r.error.kind, "invalid_input");
  assert.equal(r.error.param, "stop");
  assert.match(r.error.message, /The Responses API has no stop parameter/);
  assert.deepEqual(await messages(page), [], "nothing added to the transcript");

  // From the composer: the user sees why, and the typed text stays.
  await page.evaluate(() => (document.getElementById("chat-a").params = { seed: 7 }));
  await chat.input.fill("hello");
  await chat.input.press("Enter");
  const notice = chat.root.locator('p.fc-notice[role="alert"]');
  await notice.waitFor();
  assert.match(await notice.textContent(), /The Responses API has no seed parameter/);
  assert.equal(await chat.input.inputValue(), "hello");
  assert.equal(await chat.user.count(), 0);
  assert.deepEqual(await messages(page), []);
  assert.equal(posts().length, 0, "no request was made");

  await page.evaluate(() => (document.getElementById("chat-a").params = { temperature: 0.5 }));
  const ok = await send(page, "hello");
  assert.equal(ok.ok, true, JSON.stringify(ok.error));
  assert.equal(posts().length, 1);
  assert.equal(posts()[0].json.temperature, 0.5);
  await context.close();
});

test("a conversation started in the openai style (with a tool round) continues in the responses style", async () => {
  const { page, context, requests, posts, chat } = await responsesPage({
    "api-style": "openai",
    endpoint: "v1",
    tools: "get_flight_info",
  });
  const first = await send(page, "Any flights from Miami to Seattle?");
  assert.equal(first.ok, true, JSON.stringify(first.error));
  const chats = requests.filter((r) => r.method === "POST" && r.url.includes("/chat/completions"));
  assert.equal(chats.length, 2, "a tool call and the answer, by chat completions");
  assert.equal(posts().length, 0);
  const before = await messages(page);
  assert.deepEqual(before.map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
  const call = before[1].tool_calls[0];

  await setAttributes(page, { "api-style": "responses", endpoint: "openai/v1", tools: null });
  const next = await send(page, "and the way back?");
  assert.equal(next.ok, true, JSON.stringify(next.error));
  assert.equal(posts().length, 1);
  const body = posts()[0].json;
  assert.equal(body.messages, undefined);
  assert.equal(body.tools, undefined);
  assert.deepEqual(body.input, [
    userItem("Any flights from Miami to Seattle?"),
    { type: "function_call", call_id: call.id, name: "get_flight_info", arguments: call.function.arguments },
    { type: "function_call_output", call_id: call.id, output: before[2].content },
    assistantItem(before[3].content),
    userItem("and the way back?"),
  ]);
  assert.match(next.value.response_id, /^resp_/);
  const after = await messages(page);
  assert.equal(after.length, 6);
  assert.deepEqual(after.slice(0, 4), before, "the earlier entries are unchanged");
  assert.equal(await chat.assistant.count(), 3);
  await context.close();
});

test("a 429 is retried after its Retry-After with the same body; the reply shows once", async () => {
  const { page, context, posts, chat } = await responsesPage();
  const r = await send(page, "rate limit");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.equal(posts().length, 2, "one refused request and one retry");
  assert.deepEqual(posts()[1].json, posts()[0].json);
  assert.deepEqual((await messages(page)).map((m) => m.role), ["user", "assistant"]);
  assert.equal(await chat.user.count(), 1);
  assert.equal(await chat.error.count(), 0);
  await context.close();
});

for (const [trigger, kind, status, words] of [
  ["content filter", "content_filter", 400, /content filter[\s\S]*violence/i],
  ["not found", "not_found", 404, /deployment|model name/i],
  ["server error", "server_error", 500, /server/i],
]) {
  test(`"${trigger}" before the reply is the ${kind} error, as in chat completions`, async () => {
    const { page, context, chat } = await responsesPage();
    const r = await send(page, trigger);
    assert.equal(r.ok, false);
    assert.equal(r.error.kind, kind);
    assert.equal(r.error.status, status);
    const shown = chat.root.locator(FINISHED).last().locator('[part~="error"]');
    assert.equal(await shown.getAttribute("data-kind"), kind);
    assert.match(await shown.textContent(), words);
    await context.close();
  });
}

test("the settings panel offers the style and the chaining switch; both persist, and the restored transcript chains on its last reply", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/`);
  const requests = [];
  page.on("request", (r) => r.method() === "POST" && requests.push({ url: r.url(), json: JSON.parse(r.postData()) }));
  const chat = parts(page);
  await chat.input.waitFor();
  await chat.part("settings").click();
  const chaining = chat.root.getByLabel(/Send only new messages after the last reply/);
  assert.equal(await chaining.count(), 0, "the switch is only offered for the responses style");
  await chat.root.locator("label", { hasText: /^API style/ }).locator("select").selectOption("responses");
  await chat.root.getByLabel("Endpoint", { exact: true }).fill("openai/v1");
  await chat.root.getByLabel("Model / deployment").fill("demo");
  await chaining.check();
  await chat.root.getByRole("button", { name: "Apply" }).click();
  await chat.root.locator(".fc-settings").waitFor({ state: "detached" });

  const first = await page.evaluate(() => document.querySelector("foundry-chat").send("hello"));
  assert.match(first.response_id, /^resp_/);
  assert.equal(new URL(requests[0].url).pathname, "/openai/v1/responses");
  assert.equal(requests[0].json.store, true);
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem("foundry-chat:settings")));
  assert.equal(stored.api_style, "responses");
  assert.equal(stored.previous_response_id, true);

  await page.reload();
  await chat.input.waitFor();
  await chat.assistant.first().waitFor();
  const restored = await page.evaluate(() => document.querySelector("foundry-chat").messages);
  assert.equal(restored[1].response_id, first.response_id, "response_id is kept with the transcript");
  await chat.input.fill("and then?");
  await chat.input.press("Enter");
  await chat.root.locator(FINISHED).nth(1).waitFor();
  const chained = requests.at(-1);
  assert.equal(new URL(chained.url).pathname, "/openai/v1/responses");
  assert.equal(chained.json.previous_response_id, first.response_id);
  assert.deepEqual(chained.json.input, [userItem("and then?")]);
  assert.equal(await chat.assistant.count(), 2);
  assert.deepEqual(problems, []);
  await context.close();
});
