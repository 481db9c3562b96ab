// The <foundry-chat> web component on the embed example page (strict CSP, only
// foundry-chat.js loaded): properties, methods, events, lifecycle, isolation, persistence.
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

/** Opens the embed page and waits until both instances have mounted. */
async function embedPage() {
  const opened = await openPage(browser, `${server.url}/embed.html`);
  const { page } = opened;
  const requests = [];
  const failed = [];
  page.on("request", (r) => requests.push({ url: r.url(), headers: r.headers(), body: r.postData() }));
  page.on("requestfailed", (r) => failed.push({ url: r.url(), error: r.failure()?.errorText }));
  await page.waitForFunction(() =>
    ["chat-a", "chat-b"].every((id) => document.getElementById(id)?.shadowRoot?.querySelector('[part~="input"]')),
  );
  return { ...opened, requests, failed, a: parts(page, "#chat-a"), b: parts(page, "#chat-b") };
}

/** Calls `send` of element `id` in the page (see `sendIn`). */
const send = (page, id, text) => sendIn(page, id, text);

/** Starts recording the element's events (with their flags) in the page. */
function recordEvents(page, id) {
  return page.evaluate((id) => {
    window.__events = [];
    for (const name of ["chat-message", "chat-error", "chat-tool-call", "chat-busy"]) {
      // Listening on document proves the events bubble out of the shadow root.
      document.addEventListener(name, (e) => {
        if (e.target.id !== id) return;
        window.__events.push({ name, detail: e.detail, bubbles: e.bubbles, composed: e.composed });
      });
    }
  }, id);
}

test("the embed page works under its strict CSP with only foundry-chat.js", async () => {
  const { page, context, problems } = await embedPage();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'/);
  const scripts = await page.locator("script").evaluateAll((s) => s.map((x) => [x.getAttribute("src"), x.textContent.trim()]));
  assert.deepEqual(scripts, [["foundry-chat.js", ""], ["embed.js", ""]], "no inline script");
  const r = await send(page, "chat-a", "hello");
  assert.equal(r.ok, true);
  assert.deepEqual(problems, [], "no CSP violation or other console error");
  await context.close();
});

test("send() resolves with the final assistant entry and every event carries its detail", async () => {
  const { page, context, problems } = await embedPage();
  await recordEvents(page, "chat-a");
  const r = await send(page, "chat-a", "hello");
  assert.equal(r.ok, true);
  assert.equal(r.value.role, "assistant");
  assert.match(r.value.content, /demo/i);
  assert.equal(r.value.finish_reason, "stop");
  assert.ok(r.value.id);
  const events = await page.evaluate(() => window.__events);
  assert.ok(events.every((e) => e.bubbles && e.composed), "bubbling and composed");
  const names = events.map((e) => e.name);
  assert.deepEqual(names, ["chat-message", "chat-busy", "chat-busy", "chat-message"]);
  assert.equal(events[0].detail.role, "user");
  assert.equal(events[0].detail.content, "hello");
  assert.deepEqual(events[1].detail, { busy: true });
  assert.deepEqual(events[2].detail, { busy: false });
  assert.deepEqual(events[3].detail, r.value, "chat-message carries the same entry send() resolved with");
  const messages = await page.evaluate(() => document.getElementById("chat-a").messages);
  assert.deepEqual(messages[1], r.value);
  assert.deepEqual(problems, []);
  await context.close();
});

test("send() rejects with an Error carrying the error object; chat-error has the same fields", async () => {
  const { page, context } = await embedPage();
  await recordEvents(page, "chat-a");
  await page.evaluate(() => (document.getElementById("chat-a").apiKey = "wrong-key"));
  const r = await send(page, "chat-a", "hello");
  assert.equal(r.ok, false);
  assert.equal(r.isError, true, "an Error instance");
  assert.equal(r.error.kind, "auth");
  assert.equal(r.error.status, 401);
  assert.equal(r.error.code, "401");
  assert.match(r.error.message, /invalid subscription key/i);
  assert.match(r.error.hint, /key/i);
  const errors = (await page.evaluate(() => window.__events)).filter((e) => e.name === "chat-error");
  assert.equal(errors.length, 1);
  assert.equal(errors[0].detail.kind, "auth");
  assert.equal(errors[0].detail.status, 401);
  await context.close();
});

test("a send while busy rejects with invalid_input; a stop resolves with the partial entry", async () => {
  const { page, context } = await embedPage();
  const outcome = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const first = el.send("slow");
    let second;
    try {
      await el.send("again");
    } catch (e) {
      second = { kind: e.kind, message: e.message, busy: el.busy };
    }
    await new Promise((r) => setTimeout(r, 600));
    el.stop();
    const entry = await first;
    return { second, entry, busy: el.busy };
  });
  assert.equal(outcome.second.kind, "invalid_input");
  assert.equal(outcome.second.busy, true);
  assert.equal(outcome.entry.stopped, true);
  assert.ok(outcome.entry.content.length > 0, "the partial text");
  assert.equal(outcome.busy, false);
  await context.close();
});

test("changing the endpoint attribute takes effect on the next request", async () => {
  const { page, context, requests } = await embedPage();
  assert.equal((await send(page, "chat-a", "hello")).ok, true);
  await page.evaluate(() => {
    const el = document.getElementById("chat-a");
    el.setAttribute("endpoint", "v1");
    el.setAttribute("api-style", "openai");
    el.setAttribute("model", "demo");
  });
  assert.equal(await page.evaluate(() => document.getElementById("chat-a").apiStyle), "openai", "properties agree with attributes");
  assert.equal((await send(page, "chat-a", "hello")).ok, true);
  const chats = requests.filter((r) => r.url.includes("/chat/completions")).map((r) => new URL(r.url).pathname);
  assert.deepEqual(chats, ["/models/chat/completions", "/v1/chat/completions"]);
  const last = requests.filter((r) => r.url.includes("/chat/completions")).at(-1);
  assert.equal(last.headers.authorization, "Bearer demo-key");
  await context.close();
});

test("messages can be set (a saved transcript) and read back; bad input is refused clearly", async () => {
  const { page, context, a } = await embedPage();
  const saved = [
    { id: "u1", role: "user", content: "What is 2+2?" },
    { id: "a1", role: "assistant", content: "**4**", finish_reason: "stop", model: "demo" },
  ];
  const back = await page.evaluate((saved) => {
    const el = document.getElementById("chat-a");
    el.messages = saved;
    return el.messages;
  }, saved);
  assert.deepEqual(back, saved);
  await a.assistant.locator("strong").filter({ hasText: "4" }).waitFor();
  assert.equal(await a.user.count(), 1);
  const refusals = await page.evaluate(() => {
    const el = document.getElementById("chat-a");
    const attempt = (value) => {
      try {
        el.messages = value;
        return null;
      } catch (e) {
        return { kind: e.kind, param: e.param, message: e.message };
      }
    };
    return [
      attempt("not an array"),
      attempt([{ id: "x", role: "wizard", content: "hi" }]),
      attempt([{ id: "x", role: "user", content: "a" }, { id: "x", role: "user", content: "b" }]),
    ];
  });
  for (const r of refusals) {
    assert.equal(r?.kind, "invalid_input");
    assert.equal(r.param, "messages");
  }
  assert.match(refusals[2].message, /used twice/);
  assert.equal((await page.evaluate(() => document.getElementById("chat-a").messages)).length, 2, "unchanged after refusals");
  // The same ids with other text show the other text (rows are kept by id, not their content).
  await page.evaluate((saved) => {
    document.getElementById("chat-a").messages = [saved[0], { ...saved[1], content: "*5*, on second thought", stopped: true }];
  }, saved);
  await a.assistant.locator("em").filter({ hasText: "5" }).waitFor();
  assert.equal(await a.assistant.locator("strong").count(), 0);
  assert.equal(await a.assistant.getAttribute("data-state"), "stopped");
  await page.evaluate((saved) => (document.getElementById("chat-a").messages = saved), saved);
  await a.assistant.locator("strong").filter({ hasText: "4" }).waitFor();
  // The restored transcript is sent as the conversation's history.
  const r = await send(page, "chat-a", "and 3+3?");
  assert.equal(r.ok, true);
  await context.close();
});

test("params, extraParams, toolChoice, maxToolRounds and imageOptions round-trip and reach the body", async () => {
  const { page, context, requests } = await embedPage();
  const state = await page.evaluate(() => {
    const el = document.getElementById("chat-a");
    const out = { defaults: { rounds: el.maxToolRounds, toolChoice: el.toolChoice, params: el.params, extra: el.extraParams } };
    el.params = { max_tokens: 3, temperature: 0.5 };
    el.extraParams = { logprobs: true };
    el.toolChoice = "none";
    el.maxToolRounds = 3;
    el.imageOptions = { maxEdge: 1024 };
    out.after = { params: el.params, extra: el.extraParams, toolChoice: el.toolChoice, rounds: el.maxToolRounds, image: el.imageOptions };
    const attempt = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        return { kind: e.kind, param: e.param };
      }
    };
    out.refused = [
      attempt(() => (el.params = { temprature: 1 })),
      attempt(() => (el.params = { temperature: 9 })),
      attempt(() => (el.extraParams = { messages: [] })),
      attempt(() => (el.maxToolRounds = 0)),
      attempt(() => (el.imageOptions = { maxEdge: "big" })),
      attempt(() => (el.tokenProvider = "not a function")),
    ];
    return out;
  });
  assert.deepEqual(state.defaults, { rounds: 8, toolChoice: null, params: {}, extra: {} });
  assert.deepEqual(state.after.params, { max_tokens: 3, temperature: 0.5 });
  assert.deepEqual(state.after.extra, { logprobs: true });
  assert.equal(state.after.toolChoice, "none");
  assert.equal(state.after.rounds, 3);
  assert.equal(state.after.image.maxEdge, 1024);
  assert.deepEqual(
    state.refused.map((r) => r?.kind),
    Array(6).fill("invalid_input"),
  );
  assert.equal(state.refused[0].param, "temprature");
  assert.equal(state.refused[1].param, "temperature");
  assert.equal(state.refused[2].param, "messages");
  const r = await send(page, "chat-a", "hello");
  assert.equal(r.ok, true);
  assert.equal(r.value.finish_reason, "length", "max_tokens reached the body");
  const body = JSON.parse(requests.filter((q) => q.url.includes("/chat/completions")).at(-1).body);
  assert.equal(body.max_tokens, 3);
  assert.equal(body.temperature, 0.5);
  assert.equal(body.logprobs, true, "extraParams merged into the body");
  await context.close();
});

test("tokenProvider is called before each request and its failure is an auth error", async () => {
  const { page, context, requests } = await embedPage();
  const outcome = await page.evaluate(async () => {
    const el = document.getElementById("chat-b");
    el.apiKey = null;
    let calls = 0;
    el.tokenProvider = async () => {
      calls += 1;
      return "demo-key";
    };
    // Changing the credentials refetches /models (with a token too): let that settle.
    await new Promise((r) => setTimeout(r, 500));
    calls = 0;
    const first = await el.send("hello");
    const second = await el.send("hello again");
    const result = { calls, first: first.finish_reason, second: second.finish_reason, same: el.tokenProvider !== null };
    const failures = [];
    for (const provider of [
      () => Promise.reject(new Error("sign-in needed")),
      () => {
        throw new Error("broken");
      },
      () => 42,
    ]) {
      el.tokenProvider = provider;
      try {
        await el.send("hello");
        failures.push(null);
      } catch (e) {
        failures.push({ kind: e.kind, message: e.message });
      }
    }
    result.failures = failures;
    result.shown = el.shadowRoot.querySelectorAll('[part~="error"][data-kind="auth"]').length;
    return result;
  });
  // chat-b has a JS tool, which the demo calls: each send is two requests (call, answer).
  assert.equal(outcome.calls, 4, "one token per request");
  assert.equal(outcome.first, "stop");
  assert.equal(outcome.second, "stop");
  const chats = requests.filter((r) => r.url.includes("/chat/completions"));
  assert.equal(chats.length, 4);
  assert.ok(chats.every((r) => r.headers.authorization === "Bearer demo-key"));
  assert.equal(outcome.failures.length, 3);
  for (const f of outcome.failures) assert.equal(f?.kind, "auth");
  assert.match(outcome.failures[0].message, /sign-in needed/);
  assert.match(outcome.failures[1].message, /broken/);
  assert.match(outcome.failures[2].message, /did not return a token/);
  assert.equal(outcome.shown, 3, "each failure is shown to the user");
  await context.close();
});

test("modelInfo() resolves with what /info or /models says", async () => {
  const { page, context } = await embedPage();
  const [a, b] = await page.evaluate(() =>
    Promise.all(["chat-a", "chat-b"].map((id) => document.getElementById(id).modelInfo())),
  );
  assert.equal(a.model_name, "demo (scripted, no model)");
  assert.equal(a.model_type, "chat-completions");
  assert.equal(a.model_provider_name, "foundry-chat demo");
  assert.equal(b.model_name, "demo");
  await context.close();
});

test("two instances are independent: transcripts, endpoints, settings and busy state", async () => {
  const { page, context, a, b, requests } = await embedPage();
  const busy = await page.evaluate(() => {
    const a = document.getElementById("chat-a");
    const b = document.getElementById("chat-b");
    a.params = { max_tokens: 5 };
    const pending = a.send("slow");
    const result = { a: a.busy, b: b.busy };
    a.stop();
    return pending.then(() => result);
  });
  assert.deepEqual(busy, { a: true, b: false });
  assert.equal((await send(page, "chat-b", "hello")).ok, true);
  const [ma, mb, pb] = await page.evaluate(() => [
    document.getElementById("chat-a").messages,
    document.getElementById("chat-b").messages,
    document.getElementById("chat-b").params,
  ]);
  assert.equal(ma.length, 2);
  assert.deepEqual(mb.map((m) => m.role), ["user", "assistant", "tool", "assistant"], "chat-b's own tool ran");
  assert.equal(ma[0].content, "slow");
  assert.equal(mb[0].content, "hello");
  assert.deepEqual(pb, {}, "params set on one instance do not reach the other");
  const paths = requests.filter((r) => r.url.includes("/chat/completions")).map((r) => new URL(r.url).pathname);
  assert.deepEqual(paths, ["/models/chat/completions", "/v1/chat/completions", "/v1/chat/completions"]);
  await page.evaluate(() => document.getElementById("chat-a").clear());
  assert.equal(await a.part("message").count(), 0);
  assert.equal(await b.part("message").count(), 4, "clearing one leaves the other");
  assert.equal(await b.part("settings").count(), 0, 'settings="hidden" hides the panel button');
  assert.equal(await a.part("settings").count(), 1);
  await context.close();
});

test("removing an element while it streams aborts the request; re-adding it works", async () => {
  const { page, context, problems, failed, a } = await embedPage();
  await a.input.fill("slow");
  await a.input.press("Enter");
  await a.assistant.last().locator(".fc-body").filter({ hasText: /\S/ }).waitFor();
  const entry = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const done = new Promise((r) => el.addEventListener("chat-message", (e) => r(e.detail)));
    window.__removed = { el, parent: el.parentNode };
    el.remove();
    return done;
  });
  assert.equal(entry.stopped, true, "the reply in progress ends as stopped");
  await page.waitForTimeout(200);
  assert.equal(failed.filter((f) => f.url.includes("/chat/completions")).length, 1, "the request was aborted");
  const again = await page.evaluate(async () => {
    const { el, parent } = window.__removed;
    parent.append(el);
    const reply = await el.send("hello");
    return { finish: reply.finish_reason, messages: el.messages.length, busy: el.busy };
  });
  assert.deepEqual(again, { finish: "stop", messages: 4, busy: false });
  assert.equal(await a.part("message").count(), 4);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the same element removed and re-added keeps its transcript, mounts once and leaks no request", async () => {
  const { page, context, problems, requests } = await embedPage();
  const settled = [];
  page.on("requestfinished", (r) => settled.push(r.url()));
  page.on("requestfailed", (r) => settled.push(r.url()));
  assert.equal((await send(page, "chat-a", "hello")).ok, true);
  const state = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const parent = el.parentNode;
    for (let i = 0; i < 5; i++) {
      el.remove();
      parent.append(el);
    }
    await new Promise((r) => setTimeout(r, 100));
    const entry = await el.send("hello again");
    return {
      roots: el.shadowRoot.querySelectorAll(".fc-root").length,
      inputs: el.shadowRoot.querySelectorAll('[part~="input"]').length,
      messages: el.messages.length,
      shown: el.shadowRoot.querySelectorAll('[part~="message"]').length,
      finish: entry.finish_reason,
    };
  });
  assert.deepEqual(state, { roots: 1, inputs: 1, messages: 4, shown: 4, finish: "stop" });
  await page.waitForTimeout(200);
  const chats = requests.filter((r) => r.url.includes("/chat/completions")).length;
  assert.equal(chats, 2, "no request is made by mounting again");
  assert.equal(settled.filter((u) => u.includes("/chat/completions")).length, 2, "none is left open");
  assert.deepEqual(problems, []);
  await context.close();
});

test("host-page CSS for button and p does not reach inside; parts and custom properties do", async () => {
  const { page, context, a, b } = await embedPage();
  assert.equal((await send(page, "chat-a", "hello")).ok, true);
  const host = await page.locator("#host-button").evaluate((el) => getComputedStyle(el).borderTopStyle);
  assert.equal(host, "dashed", "the host rule applies on the host page");
  const inside = await a.send.evaluate((el) => {
    const s = getComputedStyle(el);
    return { border: s.borderTopStyle, color: s.color, font: s.fontFamily };
  });
  assert.notEqual(inside.border, "dashed");
  assert.notEqual(inside.color, "rgb(102, 51, 153)");
  assert.doesNotMatch(inside.font, /Georgia/);
  const p = a.assistant.last().locator("p").first();
  const pStyle = await p.evaluate((el) => {
    const s = getComputedStyle(el);
    return { border: s.borderTopStyle, color: s.color };
  });
  assert.notEqual(pStyle.border, "dashed");
  assert.notEqual(pStyle.color, "rgb(102, 51, 153)");
  // The host styles chat-b through ::part(send) and --foundry-chat-accent.
  const styled = await b.send.evaluate((el) => {
    const s = getComputedStyle(el);
    return { transform: s.textTransform, background: s.backgroundColor };
  });
  assert.equal(styled.transform, "uppercase");
  assert.equal(styled.background, "rgb(15, 118, 110)");
  // Component styles do not leak out: the host page's own paragraphs keep the page's font.
  const pageP = await page.locator("header p").evaluate((el) => getComputedStyle(el).fontFamily);
  assert.match(pageP, /Georgia/);
  await context.close();
});

test("a JS-registered tool runs in a tool round", async () => {
  const { page, context } = await embedPage();
  await recordEvents(page, "chat-b");
  const r = await send(page, "chat-b", "What is the weather in Paris?");
  assert.equal(r.ok, true);
  assert.match(r.value.content, /get_weather returned/);
  const calls = (await page.evaluate(() => window.__events)).filter((e) => e.name === "chat-tool-call");
  assert.equal(calls.length, 1);
  assert.equal(calls[0].detail.name, "get_weather");
  assert.deepEqual(JSON.parse(calls[0].detail.arguments), { city: "demo" });
  assert.equal(typeof calls[0].detail.duration_ms, "number");
  await context.close();
});

test("persist saves the transcript after each entry and restores it on load, without the key", async () => {
  const opened = await openPage(browser, `${server.url}/`);
  const { page, context, problems } = opened;
  const chat = parts(page);
  await chat.input.waitFor();
  const r = await page.evaluate(() => document.querySelector("foundry-chat").send("hello"));
  assert.equal(r.role, "assistant");
  // The transcript is in IndexedDB now (e2e/conversations.test.mjs); read every record.
  const stored = await page.waitForFunction(async () => {
    const db = await new Promise((resolve) => {
      const open = indexedDB.open("foundry-chat");
      open.onsuccess = () => resolve(open.result);
    });
    const all = (name) =>
      new Promise((resolve) => {
        const request = db.transaction(name).objectStore(name).getAll();
        request.onsuccess = () => resolve(request.result);
      });
    const [meta, body] = [await all("meta"), await all("body")];
    db.close();
    if (meta.length !== 1 || meta[0].message_count !== 2) return false;
    return { meta, body, local: Object.fromEntries(Object.entries(localStorage)) };
  }).then((h) => h.jsonValue());
  assert.deepEqual(Object.keys(stored.local), [], "nothing in localStorage");
  assert.equal(stored.meta[0].ns, "foundry-chat", "under the persist key");
  assert.equal(JSON.parse(stored.body[0].entries).length, 2);
  assert.ok(!JSON.stringify(stored).includes("demo-key"), "the api key is not stored");
  await page.reload();
  await chat.input.waitFor();
  await chat.assistant.first().waitFor();
  const restored = await page.evaluate(() => document.querySelector("foundry-chat").messages);
  assert.deepEqual(restored[1], r);
  assert.deepEqual(problems, []);
  await context.close();
});

test("persist keeps the panel's silence timeout and image limits across a reload", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/`);
  const chat = parts(page);
  await chat.input.waitFor();
  await chat.part("settings").click();
  await chat.root.getByLabel(/Silence timeout/).fill("7");
  await chat.root.getByLabel(/Image maximum edge/).fill("640");
  await chat.root.getByLabel(/Image size limit/).fill("300");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  await chat.root.locator(".fc-settings").waitFor({ state: "detached" });
  const stored = JSON.parse(await page.evaluate(() => localStorage.getItem("foundry-chat:settings")));
  assert.equal(stored.stream_timeout_ms, 7000);
  assert.ok(!JSON.stringify(stored).includes("demo-key"), "the api key is not stored");
  await page.reload();
  await chat.input.waitFor();
  const options = await page.evaluate(() => document.querySelector("foundry-chat").imageOptions);
  assert.equal(options.maxEdge, 640);
  assert.equal(options.maxBytes, 300 * 1024);
  await chat.part("settings").click();
  assert.equal(await chat.root.getByLabel(/Silence timeout/).inputValue(), "7");
  assert.equal(await chat.root.getByLabel(/Image maximum edge/).inputValue(), "640");
  assert.equal(await chat.root.getByLabel(/Image size limit/).inputValue(), "300");
  assert.deepEqual(problems, []);
  await context.close();
});

test("persist loads settings stored in the old format (before the timeout and image limits were kept)", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/`);
  const chat = parts(page);
  await chat.input.waitFor();
  await page.evaluate(() =>
    localStorage.setItem(
      "foundry-chat:settings",
      JSON.stringify({
        endpoint: "models",
        api_style: "azure-inference",
        model: null,
        api_version: null,
        auth_mode: "key",
        remember_key: false,
        system_prompt: "Be brief.",
        system_as_user: false,
        stream: true,
        params: { temperature: 0.5 },
        extra_params: {},
        tools: ["calculate"],
        max_tool_rounds: 5,
      }),
    ),
  );
  await page.reload();
  await chat.input.waitFor();
  const el = await page.evaluate(() => {
    const e = document.querySelector("foundry-chat");
    return { params: e.params, rounds: e.maxToolRounds, images: e.imageOptions };
  });
  assert.deepEqual(el.params, { temperature: 0.5 });
  assert.equal(el.rounds, 5);
  assert.equal(el.images.maxEdge, 2048, "image limits missing from the old format keep their defaults");
  await chat.part("settings").click();
  assert.equal(await chat.root.getByLabel(/System prompt/).inputValue(), "Be brief.");
  assert.equal(await chat.root.getByLabel(/Silence timeout/).inputValue(), "60");
  await chat.root.getByRole("button", { name: "Cancel" }).click();
  const reply = await page.evaluate(() => document.querySelector("foundry-chat").send("hello"));
  assert.equal(reply.role, "assistant", "the page's key still authenticates");
  assert.deepEqual(problems, []);
  await context.close();
});

/** In the page: helpers that draw test images (PNG/JPEG Blobs of a given size). */
function defineImageHelpers(page) {
  return page.evaluate(() => {
    window.drawn = async (w, h, type = "image/png", alpha = false) => {
      const canvas = new OffscreenCanvas(w, h);
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#c33";
      ctx.fillRect(0, 0, w / 2, h);
      ctx.fillStyle = "#33c";
      ctx.fillRect(w / 2, 0, w / 2, h);
      if (alpha) ctx.clearRect(0, 0, w / 4, h / 4);
      return canvas.convertToBlob({ type });
    };
    // A JPEG with an EXIF APP1 segment (big-endian) holding `orientation`, right after SOI.
    window.rotatedJpeg = async (w, h, orientation) => {
      const jpeg = new Uint8Array(await (await window.drawn(w, h, "image/jpeg")).arrayBuffer());
      const exif = [...new TextEncoder().encode("Exif\0\0MM\0\x2a\0\0\0\x08"), 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
      const segment = [0xff, 0xe1, 0, exif.length + 2, ...exif];
      return new Blob([jpeg.subarray(0, 2), new Uint8Array(segment), jpeg.subarray(2)], { type: "image/jpeg" });
    };
    window.asDataUrl = (blob) =>
      new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.readAsDataURL(blob);
      });
  });
}

/** The `Image N: W×H pixels, B bytes (type).` lines of the demo endpoint's reply. */
function describedImages(content) {
  return [...content.matchAll(/Image (\d+): (\d+)×(\d+) pixels, (\d+) bytes \((image\/[a-z]+)\)/g)].map((m) => ({
    n: Number(m[1]),
    width: Number(m[2]),
    height: Number(m[3]),
    type: m[5],
  }));
}

test("send() with images: a Blob, a File and a data-URL string arrive with their exact dimensions", async () => {
  const { page, context, requests, problems } = await embedPage();
  await defineImageHelpers(page);
  const r = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const blob = await window.drawn(37, 23);
    const file = new File([await window.drawn(20, 10, "image/jpeg")], "photo.jpg", { type: "image/jpeg" });
    const url = await window.asDataUrl(await window.drawn(5, 7));
    const entry = await el.send("What is in these?", { images: [blob, file, url] });
    return { entry, messages: el.messages };
  });
  assert.deepEqual(describedImages(r.entry.content), [
    { n: 1, width: 37, height: 23, type: "image/png" },
    { n: 2, width: 20, height: 10, type: "image/jpeg" },
    { n: 3, width: 5, height: 7, type: "image/png" },
  ]);
  const chats = requests.filter((q) => q.url.includes("/chat/completions"));
  assert.equal(chats.length, 1);
  const content = JSON.parse(chats[0].body).messages.at(-1).content;
  assert.deepEqual(content[0], { type: "text", text: "What is in these?" });
  assert.deepEqual(
    content.slice(1).map((p) => [p.type, p.image_url.url.slice(0, 22)]),
    [["image_url", "data:image/png;base64,"], ["image_url", "data:image/jpeg;base64"], ["image_url", "data:image/png;base64,"]],
  );
  assert.deepEqual(r.messages[0].content, content, "the transcript's user entry is what was sent");
  assert.deepEqual(problems, []);
  await context.close();
});

test("send() with images: oversized ones arrive downscaled (in a worker), rotated ones upright, transparent ones as PNG", async () => {
  const { page, context, problems, requests } = await embedPage();
  const workers = [];
  page.on("worker", (w) => workers.push(w.url()));
  await defineImageHelpers(page);
  const r = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const wide = await window.drawn(3000, 1500, "image/jpeg");
    const rotated = await window.rotatedJpeg(60, 20, 6);
    const logo = await window.drawn(4000, 1000, "image/png", true);
    return el.send("", { images: [wide, rotated, logo] });
  });
  assert.deepEqual(describedImages(r.content), [
    { n: 1, width: 2048, height: 1024, type: "image/jpeg" },
    { n: 2, width: 20, height: 60, type: "image/jpeg" },
    { n: 3, width: 2048, height: 512, type: "image/png" },
  ]);
  // The rotated photo (stored: red left half, blue right half; EXIF 6 = turn 90° clockwise)
  // must arrive turned, not squeezed: red on top, blue below.
  const sent = JSON.parse(requests.find((q) => q.url.includes("/chat/completions")).body).messages.at(-1).content;
  const colours = await page.evaluate(async (url) => {
    const bytes = Uint8Array.from(atob(url.split(",")[1]), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const ctx = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const at = (x, y) => [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)];
    return { top: at(5, 10), bottom: at(5, 50) };
  }, sent[1].image_url.url);
  const red = ([r, , b]) => r > 150 && b < 100;
  const blue = ([r, , b]) => b > 150 && r < 100;
  assert.ok(red(colours.top) && blue(colours.bottom), JSON.stringify(colours));
  assert.equal(workers.length, 3, "each redraw ran in a worker");
  assert.ok(workers.every((u) => u.endsWith("/src/images.js")), workers.join(", "));
  assert.deepEqual(problems, [], "the worker loads under the page's strict CSP");
  await context.close();
});

test("send() with a bad image rejects with invalid_input naming it, and nothing is sent or added", async () => {
  const { page, context, requests, a } = await embedPage();
  await defineImageHelpers(page);
  const outcome = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const attempt = async (images) => {
      try {
        await el.send("look", { images });
        return null;
      } catch (e) {
        return { isError: e instanceof Error, kind: e.kind, param: e.param, message: e.message };
      }
    };
    const good = await window.drawn(8, 8);
    const pdf = new File([new TextEncoder().encode("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")], "report.png", { type: "image/png" });
    return {
      pdf: await attempt([good, pdf]),
      url: await attempt(["https://example.com/cat.png"]),
      notImage: await attempt([42]),
      messages: el.messages,
      busy: el.busy,
    };
  });
  assert.deepEqual(outcome.pdf, {
    isError: true,
    kind: "invalid_input",
    param: "images",
    message: "images[1] (report.png): This file is a PDF, not an image.",
  });
  assert.match(outcome.url.message, /^images\[0\]: This is not a valid image data URL/);
  assert.equal(outcome.notImage.message, "images[0]: This is not a File, a Blob or a data-URL string.");
  assert.deepEqual(outcome.messages, [], "nothing added to the transcript");
  assert.equal(outcome.busy, false);
  assert.equal(requests.filter((q) => q.url.includes("/chat/completions")).length, 0, "the endpoint received nothing");
  assert.equal(await a.user.count(), 0);
  await context.close();
});

test("send() with images rejects as aborted when the conversation is cleared while they are prepared", async () => {
  const { page, context, requests } = await embedPage();
  await defineImageHelpers(page);
  const outcome = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const pending = el.send("big one", { images: [await window.drawn(3000, 2000, "image/jpeg")] });
    el.clear();
    try {
      await pending;
      return null;
    } catch (e) {
      return { kind: e.kind, messages: el.messages.length };
    }
  });
  assert.deepEqual(outcome, { kind: "aborted", messages: 0 });
  assert.equal(requests.filter((q) => q.url.includes("/chat/completions")).length, 0);
  await context.close();
});

test("send() with images on a page whose CSP forbids workers: the page redraws them itself", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The embed page with `worker-src 'none'` added to its policy.
  await page.route("**/embed.html", async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace("object-src 'none';", "object-src 'none'; worker-src 'none';");
    await route.fulfill({ response, body });
  });
  const workers = [];
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto(`${server.url}/embed.html`);
  assert.match(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content"), /worker-src 'none'/);
  await page.waitForFunction(() => document.getElementById("chat-a")?.shadowRoot?.querySelector('[part~="input"]'));
  await defineImageHelpers(page);
  const entry = await page.evaluate(async () =>
    document.getElementById("chat-a").send("wide", { images: [await window.drawn(3000, 1500, "image/jpeg")] }),
  );
  assert.deepEqual(describedImages(entry.content), [{ n: 1, width: 2048, height: 1024, type: "image/jpeg" }]);
  assert.deepEqual(workers, [], "no worker ran");
  await context.close();
});
