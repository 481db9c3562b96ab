// Tool calling end to end against the demo endpoint: the reference's flight example, parallel
// calls, host-page (JS) tools, every failure answered as a tool message, approval, Stop in a
// tool round, the round limit and tool_choice. Each checks the exact message sequence.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, openPage, parts } from "./harness.mjs";

let server;
let browser;
before(async () => {
  server = await startServer({ delayMs: 2 });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const FLIGHT_RESULT =
  '{"info":"There are no flights available from Miami to Seattle. You should take a train, specially if it helps to reduce CO2 emissions."}';

const FLIGHT_TOOL = {
  type: "function",
  function: {
    name: "get_flight_info",
    description:
      "Returns information about the next flight between two cities. This includes the name of the airline, flight number and the date and time of the next flight",
    parameters: {
      type: "object",
      properties: {
        origin_city: { type: "string", description: "The name of the city where the flight originates" },
        destination_city: { type: "string", description: "The flight destination city" },
      },
      required: ["origin_city", "destination_city"],
    },
  },
};

/** The app page with `attrs` set on the element (and no stored conversation). */
async function chatPage(attrs = {}) {
  const opened = await openPage(browser, `${server.url}/`);
  const { page } = opened;
  const requests = [];
  page.on("request", (r) => {
    if (r.url().includes("/chat/completions")) requests.push(JSON.parse(r.postData()));
  });
  await parts(page).input.waitFor();
  await page.evaluate((attrs) => {
    const el = document.querySelector("foundry-chat");
    el.removeAttribute("persist");
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    window.__calls = [];
    el.addEventListener("chat-tool-call", (e) => window.__calls.push(e.detail));
  }, attrs);
  return { ...opened, requests, chat: parts(page) };
}

/** `send(text)` in the page: `{ok, value}` or `{ok: false, error}`. */
function send(page, text) {
  return page.evaluate(async (text) => {
    try {
      return { ok: true, value: await document.querySelector("foundry-chat").send(text) };
    } catch (e) {
      return { ok: false, error: { ...e, message: e.message } };
    }
  }, text);
}

/** The transcript as wire messages (metadata and ids dropped). */
function wire(page) {
  return page.evaluate(() =>
    document.querySelector("foundry-chat").messages.map(({ role, content, tool_calls, tool_call_id }) =>
      Object.fromEntries(Object.entries({ role, content, tool_calls, tool_call_id }).filter(([, v]) => v !== undefined)),
    ),
  );
}

function call(id, name, args) {
  return { id, type: "function", function: { name, arguments: args } };
}

test("the reference's flight example: call, tool message with the JSON result, final answer", async () => {
  const { page, context, problems, requests, chat } = await chatPage({ tools: "get_flight_info" });
  const question = "When is the next flight from Miami to Seattle?";
  const r = await send(page, question);
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const messages = await wire(page);
  const id = messages[1].tool_calls?.[0]?.id;
  assert.match(id, /^call_\d+$/);
  const answer = `The tool get_flight_info returned: ${FLIGHT_RESULT}\n\n(Scripted demo: a real model would now answer from these results.)`;
  assert.deepEqual(messages, [
    { role: "user", content: question },
    { role: "assistant", content: "", tool_calls: [call(id, "get_flight_info", '{"origin_city": "Miami", "destination_city": "Seattle"}')] },
    { role: "tool", content: FLIGHT_RESULT, tool_call_id: id },
    { role: "assistant", content: answer },
  ]);
  assert.equal(r.value.content, answer);
  assert.equal(r.value.finish_reason, "stop");
  // Both requests offer the tool exactly as the reference defines it; the second carries
  // the assistant's call and the tool result.
  assert.equal(requests.length, 2);
  assert.deepEqual(requests[0].tools, [FLIGHT_TOOL]);
  assert.deepEqual(requests[1].tools, [FLIGHT_TOOL]);
  assert.deepEqual(requests[1].messages, messages.slice(0, 3));
  // One compact card, in the tool message, with name, status and duration; it expands.
  const card = chat.part("message-tool").locator('[part~="tool-call"]');
  assert.equal(await card.count(), 1);
  assert.equal(await card.getAttribute("data-state"), "done");
  assert.match(await card.locator("summary").innerText(), /get_flight_info\s+Done\s+\d+ ms/);
  await card.locator("summary").click();
  assert.match(await card.locator(".fc-tool-result").innerText(), /no flights available from Miami to Seattle/);
  assert.match(await card.locator(".fc-tool-args").innerText(), /"origin_city": "Miami"/);
  const events = await page.evaluate(() => window.__calls);
  assert.equal(events.length, 1);
  assert.deepEqual(
    { ...events[0], duration_ms: typeof events[0].duration_ms },
    { id, name: "get_flight_info", arguments: '{"origin_city": "Miami", "destination_city": "Seattle"}', result: FLIGHT_RESULT, error: null, duration_ms: "number" },
  );
  assert.deepEqual(problems, []);
  await context.close();
});

test("two parallel calls run concurrently and are answered in call order", async () => {
  const { page, context, requests } = await chatPage();
  await page.evaluate(() => {
    window.__log = [];
    document.querySelector("foundry-chat").registerTool(
      { name: "slow_lookup", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } },
      async ({ q }, { signal }) => {
        const n = window.__log.filter((e) => e.startsWith("start")).length + 1;
        window.__log.push(`start ${n}`);
        await new Promise((resolve) => setTimeout(resolve, 150));
        window.__log.push(`end ${n}`);
        return { q, n, aborted: signal.aborted };
      },
    );
  });
  const r = await send(page, "parallel lookups please");
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.deepEqual(await page.evaluate(() => window.__log), ["start 1", "start 2", "end 1", "end 2"]);
  const messages = await wire(page);
  const [a, b] = messages[1].tool_calls.map((c) => c.id);
  assert.notEqual(a, b);
  assert.deepEqual(messages.slice(1, 4), [
    { role: "assistant", content: "", tool_calls: [call(a, "slow_lookup", '{"q": "demo"}'), call(b, "slow_lookup", '{"q": "demo"}')] },
    { role: "tool", content: '{"q":"demo","n":1,"aborted":false}', tool_call_id: a },
    { role: "tool", content: '{"q":"demo","n":2,"aborted":false}', tool_call_id: b },
  ]);
  assert.equal(messages.length, 5);
  assert.equal(requests.length, 2);
  await context.close();
});

test("the parallel flight example calls both directions", async () => {
  const { page, context } = await chatPage({ tools: "get_flight_info" });
  const r = await send(page, "parallel flights from Oslo to Rome");
  assert.equal(r.ok, true);
  const messages = await wire(page);
  assert.deepEqual(
    messages[1].tool_calls.map((c) => JSON.parse(c.function.arguments)),
    [{ origin_city: "Oslo", destination_city: "Rome" }, { origin_city: "Rome", destination_city: "Oslo" }],
  );
  assert.deepEqual(
    messages.slice(2, 4).map((m) => JSON.parse(m.content).info.slice(0, 46)),
    ["There are no flights available from Oslo to Ro", "There are no flights available from Rome to Os"],
  );
  await context.close();
});

test("a handler that throws, an unknown tool and invalid arguments are answered with error objects", async () => {
  const { page, context, chat, problems } = await chatPage({ tools: "get_flight_info" });
  const cases = [
    ["unknown tool", '{"error":"There is no tool named \\"no_such_tool\\".","details":{"available_tools":["get_flight_info"]}}'],
    ["bad json", /^\{"error":"The arguments are not valid JSON.","details":".+"\}$/],
    [
      "wrong args",
      /^\{"error":"The arguments do not match the tool's parameters.","details":\["\\"destination_city\\" must be a string, not an integer","\\"origin_city\\" must be a string, not an integer"\]\}$/,
    ],
  ];
  for (const [text, expected] of cases) {
    await page.evaluate(() => document.querySelector("foundry-chat").clear());
    const r = await send(page, text);
    assert.equal(r.ok, true, `${text}: ${JSON.stringify(r.error)}`);
    const messages = await wire(page);
    assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "tool", "assistant"], text);
    if (expected instanceof RegExp) assert.match(messages[2].content, expected, text);
    else assert.equal(messages[2].content, expected, text);
    assert.equal(messages[2].tool_call_id, messages[1].tool_calls[0].id);
    assert.match(messages[3].content, /returned: \{"error"/, `${text}: the model reads the error`);
    const card = chat.part("tool-call");
    assert.equal(await card.getAttribute("data-state"), "error", text);
  }

  await page.evaluate(() => {
    document.querySelector("foundry-chat").clear();
    document.querySelector("foundry-chat").registerTool({ name: "explode" }, () => {
      throw new Error("boom");
    });
    document.querySelector("foundry-chat").removeAttribute("tools");
  });
  const r = await send(page, "please explode");
  assert.equal(r.ok, true);
  const messages = await wire(page);
  assert.equal(messages[2].content, '{"error":"The tool failed: boom"}');
  assert.match(await chat.part("tool-call").locator(".fc-tool-status").innerText(), /The tool failed: boom/);
  const events = await page.evaluate(() => window.__calls);
  assert.deepEqual(
    events.map((e) => [e.name, e.result, e.error]),
    [
      ["no_such_tool", null, 'There is no tool named "no_such_tool".'],
      ["get_flight_info", null, events[1].error],
      ["get_flight_info", null, events[2].error],
      ["explode", null, "The tool failed: boom"],
    ],
  );
  assert.match(events[1].error, /^The arguments are not valid JSON/);
  assert.match(events[2].error, /^The arguments do not match the tool's parameters/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a rejected promise and a handler past its timeout become errors; the timed-out handler's signal fires", async () => {
  const { page, context } = await chatPage();
  await page.evaluate(() => {
    const el = document.querySelector("foundry-chat");
    window.__aborted = false;
    el.registerTool({ name: "reject_me" }, async () => Promise.reject(new Error("no data")));
    el.registerTool(
      { name: "hang" },
      (_args, { signal }) =>
        new Promise(() => signal.addEventListener("abort", () => (window.__aborted = true))),
      { timeoutMs: 200 },
    );
  });
  const r = await send(page, "parallel please");
  assert.equal(r.ok, true);
  const messages = await wire(page);
  assert.deepEqual(messages.slice(2, 4).map((m) => m.content), [
    '{"error":"The tool failed: no data"}',
    '{"error":"The tool did not finish within 200 ms."}',
  ]);
  assert.equal(await page.evaluate(() => window.__aborted), true);
  await context.close();
});

test("approval: the card shows the call; Deny answers that the user declined, Allow runs it, Always allow stops asking", async () => {
  const { page, context, chat, requests } = await chatPage();
  await page.evaluate(() => {
    window.__ran = 0;
    document.querySelector("foundry-chat").registerTool(
      { name: "delete_file", parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } },
      ({ path }) => {
        window.__ran += 1;
        return `deleted ${path}`;
      },
      { approval: "ask" },
    );
  });
  const card = chat.part("tool-call").last();
  const ask = card.locator(".fc-tool-ask");
  const answer = async (button) => {
    const pending = send(page, "delete it");
    await ask.waitFor();
    assert.match(await ask.innerText(), /wants to run delete_file with:\s*\{\s*"path": "demo"\s*\}/);
    assert.equal(await card.getAttribute("data-state"), "asking");
    await ask.getByRole("button", { name: button }).click();
    const r = await pending;
    assert.equal(r.ok, true);
    return (await wire(page)).at(-2);
  };

  const denied = await answer("Deny");
  assert.equal(denied.content, '{"error":"The user declined to run this tool."}');
  assert.equal(await page.evaluate(() => window.__ran), 0, "a denied handler never runs");
  assert.equal(requests.length, 2, "the refusal is sent back to the model");

  assert.equal((await answer("Allow once")).content, "deleted demo");
  assert.equal((await answer("Always allow")).content, "deleted demo");
  const r = await send(page, "delete it");
  assert.equal(r.ok, true);
  assert.equal((await wire(page)).at(-2).content, "deleted demo");
  assert.equal(await page.evaluate(() => window.__ran), 3, "after Always allow no card is shown");
  await context.close();
});

test("Stop during a tool round fires the handler's signal, answers {\"error\":\"cancelled\"} and asks nothing more", async () => {
  const { page, context, chat, requests } = await chatPage();
  await page.evaluate(() => {
    window.__aborted = false;
    document.querySelector("foundry-chat").registerTool({ name: "wait_forever" }, (_args, { signal }) =>
      new Promise((_, reject) =>
        signal.addEventListener("abort", () => {
          window.__aborted = true;
          reject(new Error("aborted"));
        }),
      ),
    );
  });
  const pending = send(page, "go");
  const card = chat.part("tool-call");
  await page.waitForFunction(
    () => document.querySelector("foundry-chat").shadowRoot.querySelector('[part~="tool-call"][data-state="running"]'),
  );
  await chat.stop.click();
  const r = await pending;
  assert.equal(r.ok, true);
  assert.equal(await page.evaluate(() => window.__aborted), true);
  const messages = await wire(page);
  assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "tool"]);
  assert.equal(messages[2].content, '{"error":"cancelled"}');
  assert.equal(requests.length, 1);
  assert.equal(await card.getAttribute("data-state"), "error");
  assert.equal(await page.evaluate(() => document.querySelector("foundry-chat").busy), false);
  await context.close();
});

test("the round limit stops a runaway loop with a notice and a valid transcript", async () => {
  const { page, context, chat, requests } = await chatPage({ tools: "get_flight_info" });
  await page.evaluate(() => (document.querySelector("foundry-chat").maxToolRounds = 2));
  const r = await send(page, "loop tools from Miami to Seattle");
  assert.equal(r.ok, true);
  const messages = await wire(page);
  assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "tool", "assistant", "tool", "assistant", "tool"]);
  for (const i of [1, 3, 5]) assert.equal(messages[i + 1].tool_call_id, messages[i].tool_calls[0].id);
  assert.equal(messages[2].content, FLIGHT_RESULT);
  assert.equal(messages[4].content, FLIGHT_RESULT);
  assert.equal(messages[6].content, '{"error":"cancelled"}', "the call past the limit is not run");
  assert.equal(requests.length, 3);
  assert.deepEqual(r.value.tool_calls, messages[5].tool_calls, "send() resolves with the last reply");
  assert.match(await chat.part("notice").innerText(), /Stopped after 2 tool rounds/);
  // The next message goes out with the whole valid transcript, and the notice goes away.
  const next = await send(page, "thanks");
  assert.equal(next.ok, true);
  assert.deepEqual(requests[3].messages.slice(0, 7), messages);
  assert.equal(await chat.part("notice").count(), 0);
  await context.close();
});

test("tool_choice: none sends no call; a named function is the one called", async () => {
  const { page, context, requests } = await chatPage({ tools: "get_flight_info get_current_time" });
  await page.evaluate(() => (document.querySelector("foundry-chat").toolChoice = "none"));
  let r = await send(page, "flight from Miami to Seattle");
  assert.equal(r.ok, true);
  assert.equal(requests[0].tool_choice, "none");
  assert.equal(r.value.tool_calls, undefined);
  await page.evaluate(() => {
    const el = document.querySelector("foundry-chat");
    el.clear();
    el.toolChoice = { type: "function", function: { name: "get_current_time" } };
  });
  r = await send(page, "what time is it");
  assert.equal(r.ok, true);
  const messages = await wire(page);
  assert.equal(messages[1].tool_calls[0].function.name, "get_current_time");
  assert.deepEqual(requests[1].tool_choice, { type: "function", function: { name: "get_current_time" } });
  assert.deepEqual(
    requests[1].tools.map((t) => t.function.name),
    ["get_flight_info", "get_current_time"],
  );
  // The demo sends time_zone "demo": the browser's Intl does not know it, and says so.
  assert.equal(messages[2].content, '{"error":"The tool failed: \\"demo\\" is not a time zone this browser knows"}');
  await context.close();
});

test("tool calls stream in: the name first, the arguments growing", async () => {
  const { page, context } = await chatPage({ tools: "get_flight_info" });
  const pending = send(page, "slow flight from Miami to Seattle");
  const seen = await page.waitForFunction(() => {
    const card = document
      .querySelector("foundry-chat")
      .shadowRoot.querySelector('[part~="tool-call"][data-state="streaming"]');
    const args = card?.querySelector(".fc-tool-args")?.textContent ?? "";
    return args.length > 0 && { name: card.querySelector(".fc-tool-name").textContent, args };
  });
  const { name, args } = await seen.jsonValue();
  assert.equal(name, "get_flight_info");
  const full = '{"origin_city": "Miami", "destination_city": "Seattle"}';
  assert.ok(full.startsWith(args) && args.length < full.length, `partial arguments: ${args}`);
  assert.equal((await pending).ok, true);
  await context.close();
});

test("the settings panel enables built-in tools, sets tool_choice and the round limit, and refuses bad values", async () => {
  const { page, context, chat, requests } = await chatPage();
  await chat.part("settings").click();
  await chat.root.getByLabel("get_flight_info").check();
  await chat.root.getByLabel("Tool choice").selectOption("function");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  assert.match(await chat.root.locator(".fc-settings [role=alert]").textContent(), /name the function/);
  await chat.root.getByLabel("Function name").fill("get_flight_info");
  await chat.root.getByLabel(/Tool rounds/).fill("0");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  assert.match(await chat.root.locator(".fc-settings [role=alert]").textContent(), /between 1 and 100/);
  await chat.root.getByLabel(/Tool rounds/).fill("3");
  await chat.root.getByRole("button", { name: "Apply" }).click();
  await chat.root.locator(".fc-settings").waitFor({ state: "detached" });
  const [choice, rounds] = await page.evaluate(() => {
    const el = document.querySelector("foundry-chat");
    return [el.toolChoice, el.maxToolRounds];
  });
  assert.deepEqual(choice, { type: "function", function: { name: "get_flight_info" } });
  assert.equal(rounds, 3);
  const r = await send(page, "flight from Miami to Seattle");
  assert.equal(r.ok, true);
  assert.deepEqual(requests[0].tools, [FLIGHT_TOOL]);
  assert.deepEqual(requests[0].tool_choice, { type: "function", function: { name: "get_flight_info" } });
  assert.deepEqual((await wire(page)).map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
  await context.close();
});
