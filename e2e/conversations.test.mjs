// Conversations kept in IndexedDB (`persist` + `conversations="list"` on the standalone app):
// reload, size, export/import, delete and undo, two tabs, a refused store, the migration of
// the older localStorage transcript, the list as a drawer and by keyboard, the element API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, launchBrowser, openPage, parts, sendIn } from "./harness.mjs";

const AXE = readFileSync(new URL("../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

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

/** Opens the standalone app in `context` (a new one by default) and waits for the chat. */
async function app(options = {}, context) {
  let opened;
  if (context) {
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${server.url}/`);
    opened = { page, context, problems };
  } else {
    opened = await openPage(browser, `${server.url}/`, options);
  }
  const chat = parts(opened.page);
  await chat.input.waitFor();
  await defineHelpers(opened.page);
  return { ...opened, chat };
}

/** In the page: `el()`, `call(name, ...args)` ({ok, value} | {ok: false, error}) and
 * `settled()`, which waits until the open conversation is stored with every entry. */
function defineHelpers(page) {
  return page.evaluate(() => {
    window.el = () => document.querySelector("foundry-chat");
    window.call = async (name, ...args) => {
      try {
        return { ok: true, value: await window.el()[name](...args) };
      } catch (e) {
        return { ok: false, error: { kind: e.kind, message: e.message, isError: e instanceof Error } };
      }
    };
    window.settled = async () => {
      for (;;) {
        const list = await window.el().conversations();
        const open = list.find((c) => c.id === window.el().conversationId);
        if (open && open.message_count === window.el().messages.length) return list;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
  });
}

const send = (page, text) => sendIn(page, "app", text);

/** Sends `text` in the app's element (the standalone page's element has no id: give it one). */
async function say(page, text) {
  await page.evaluate(() => (window.el().id = "app"));
  const r = await send(page, text);
  assert.equal(r.ok, true, JSON.stringify(r.error));
  await page.evaluate(() => window.settled());
  return r.value;
}

/** Waits until the element shows a stored conversation after a (re)load. */
async function restored(page) {
  await page.waitForFunction(() => window.el().messages.length > 0);
}

test("three conversations survive a reload and reopen with their exact entries", async () => {
  const { page, context, chat, problems } = await app();
  const kept = {};
  for (const text of ["first topic", "second topic", "third topic"]) {
    await say(page, text);
    const [id, messages] = await page.evaluate(() => [window.el().conversationId, window.el().messages]);
    kept[id] = messages;
    await page.evaluate(() => window.el().clear());
  }
  const list = await page.evaluate(() => window.el().conversations());
  assert.deepEqual(
    list.map((c) => c.title),
    ["third topic", "second topic", "first topic"],
    "newest first, titled by the first user message",
  );
  assert.ok(list.every((c) => c.message_count === 2 && c.created_at <= c.updated_at));
  assert.deepEqual(Object.keys(list[0]).sort(), ["created_at", "id", "message_count", "title", "updated_at"]);
  const stored = await page.evaluate(() => Object.keys(localStorage));
  assert.ok(!stored.includes("foundry-chat"), "no transcript in localStorage any more");

  await page.reload();
  await chat.input.waitFor();
  await defineHelpers(page);
  await restored(page);
  assert.equal(await page.evaluate(() => window.el().conversationId), list[0].id, "the newest one is open again");
  await chat.root.locator(".fc-conv-open").nth(2).waitFor();
  assert.deepEqual(await chat.root.locator(".fc-conv-open span").allTextContents(), ["third topic", "second topic", "first topic"]);
  for (const { id } of list) {
    const r = await page.evaluate((id) => window.call("openConversation", id), id);
    assert.equal(r.ok, true);
    const now = await page.evaluate(() => [window.el().conversationId, window.el().messages]);
    assert.deepEqual(now, [id, kept[id]], `conversation ${id} reopens with its exact entries`);
  }
  // Opening from the list: the second row.
  await chat.root.locator(".fc-conv-open").nth(1).click();
  await page.waitForFunction((id) => window.el().conversationId === id, list[1].id);
  assert.match(await chat.user.first().textContent(), /^second topic/);
  assert.equal(await chat.root.locator('.fc-conv[aria-current="true"] span').textContent(), "second topic");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a conversation of 20 MB of images persists (more than localStorage holds)", async () => {
  const { page, context, chat, problems } = await app();
  const size = await page.evaluate(async () => {
    const url = "data:image/png;base64," + "A".repeat(20 * 1024 * 1024);
    let localStorageRefused = false;
    try {
      localStorage.setItem("too-big", url);
      localStorage.removeItem("too-big");
    } catch (e) {
      localStorageRefused = e.name === "QuotaExceededError";
    }
    window.el().messages = [
      { id: "u1", role: "user", content: [{ type: "text", text: "my photos" }, { type: "image_url", image_url: { url } }] },
      { id: "a1", role: "assistant", content: "Nice photos." },
    ];
    await window.settled();
    return { length: url.length, localStorageRefused };
  });
  assert.equal(size.localStorageRefused, true, "localStorage could not keep it");
  const before = await page.evaluate(() => window.el().messages);
  await page.reload();
  await chat.input.waitFor();
  await defineHelpers(page);
  await restored(page);
  const after = await page.evaluate(() => {
    const m = window.el().messages;
    return { url: m[0].content[1].image_url.url.length, same: JSON.stringify(m) };
  });
  assert.equal(after.url, size.length);
  assert.equal(after.same, JSON.stringify(before), "every entry as it was");
  assert.deepEqual(problems, []);
  await context.close();
});

test("export then import gives the same entries; a bad file is refused whole, saying why", async () => {
  const { page, context, problems } = await app();
  await say(page, "about ferrets");
  await page.evaluate(() => {
    window.el().clear();
    window.el().messages = [
      {
        id: "u1",
        role: "user",
        content: [
          { type: "text", text: "what is in this picture?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
        ],
      },
      { id: "a1", role: "assistant", content: "A **tiny** image." },
    ];
  });
  await page.evaluate(() => window.settled());
  const out = await page.evaluate(async () => {
    const el = window.el();
    const list = await el.conversations();
    const entries = {};
    for (const c of list) {
      await el.openConversation(c.id);
      entries[c.title] = el.messages;
    }
    const json = await el.exportConversations({ format: "json" });
    const one = await el.exportConversations({ ids: [list[0].id], format: "json" });
    const markdown = await el.exportConversations({ format: "markdown" });
    const text = await el.exportConversations({ format: "markdown", images: false });
    for (const c of list) await el.deleteConversation(c.id);
    const empty = await el.conversations();
    const ids = await el.importConversations(json);
    const again = await el.importConversations(one);
    const imported = {};
    for (const id of ids) {
      await el.openConversation(id);
      imported[(await el.conversations()).find((c) => c.id === id).title] = el.messages;
    }
    return { list, entries, json, one, markdown, text, empty, ids, again, imported, after: await el.conversations() };
  });
  assert.equal(out.empty.length, 0);
  assert.deepEqual(out.ids, out.list.map((c) => c.id), "ids are kept when free");
  assert.equal(out.again.length, 1);
  assert.notEqual(out.again[0], out.list[0].id, "an id already taken gets a new one");
  assert.deepEqual(out.imported, out.entries, "the same entries, images included");
  const file = JSON.parse(out.json);
  assert.equal(file.format, "foundry-chat.conversations.v1");
  assert.deepEqual(Object.keys(file.conversations[0]).sort(), ["api_style", "created_at", "entries", "id", "title", "updated_at"]);
  assert.deepEqual(out.after.find((c) => c.id === out.list[1].id).created_at, out.list[1].created_at, "times are kept");
  assert.match(out.markdown, /^# what is in this picture\?\n/);
  assert.match(out.markdown, /!\[image\]\(data:image\/png;base64,iVBORw0KGgo=\)/);
  assert.match(out.markdown, /\*\*Assistant:\*\*\n\nA \*\*tiny\*\* image\./);
  assert.doesNotMatch(out.text, /data:image/, "images omitted when asked");
  assert.match(out.text, /# about ferrets/);

  const bad = await page.evaluate(async (json) => {
    const file = JSON.parse(json);
    const before = (await window.el().conversations()).length;
    // The second conversation is damaged: one entry has a role the format does not know.
    file.conversations[1].entries[0].role = "narrator";
    const results = {
      notJson: await window.call("importConversations", "{not json"),
      format: await window.call("importConversations", JSON.stringify({ format: "other", conversations: [] })),
      damaged: await window.call("importConversations", JSON.stringify(file)),
      noText: await window.call("importConversations", 42),
      badFormat: await window.call("exportConversations", { format: "pdf" }),
      badOption: await window.call("exportConversations", { format: "json", idz: [] }),
      missing: await window.call("exportConversations", { ids: ["nope"] }),
    };
    return { results, before, after: (await window.el().conversations()).length };
  }, out.json);
  for (const [name, r] of Object.entries(bad.results)) {
    assert.equal(r.ok, false, name);
    assert.equal(r.error.isError, true, name);
  }
  for (const name of ["notJson", "format", "damaged", "noText", "badFormat", "badOption"]) {
    assert.equal(bad.results[name].error.kind, "invalid_input", name);
  }
  assert.equal(bad.results.missing.error.kind, "not_found");
  assert.match(bad.results.notJson.error.message, /not a conversations export/);
  assert.match(bad.results.format.error.message, /unknown format "other"/);
  assert.match(bad.results.damaged.error.message, /narrator/);
  assert.match(bad.results.badFormat.error.message, /"json" or "markdown"/);
  assert.equal(bad.after, bad.before, "nothing half-imported");
  assert.deepEqual(problems, []);
  await context.close();
});

test("delete with undo in the list; rename by F2 and by the API; unknown ids reject as not_found", async () => {
  const { page, context, chat, problems } = await app();
  await say(page, "keep me");
  await page.evaluate(() => window.el().clear());
  await say(page, "delete me");
  const [deleted, entries] = await page.evaluate(() => [window.el().conversationId, window.el().messages]);
  const rows = chat.root.locator(".fc-conv-open span");
  await chat.root.getByRole("button", { name: "Delete “delete me”" }).click();
  await page.waitForFunction(async () => (await window.el().conversations()).length === 1);
  await rows.filter({ hasText: "delete me" }).waitFor({ state: "detached" });
  assert.deepEqual(await rows.allTextContents(), ["keep me"]);
  assert.notEqual(await page.evaluate(() => window.el().conversationId), deleted, "the open one was deleted: a new one starts");
  assert.equal(await page.evaluate(() => window.el().messages.length), 0);
  assert.match(await chat.root.locator(".fc-list-status").textContent(), /Deleted “delete me”/);
  await chat.root.getByRole("button", { name: "Undo" }).click();
  await rows.filter({ hasText: "delete me" }).waitFor();
  assert.match(await chat.root.locator(".fc-list-status").textContent(), /Restored “delete me”/);
  await page.waitForFunction((id) => window.el().conversationId === id, deleted);
  assert.deepEqual(await page.evaluate(() => window.el().messages), entries, "it was open: undo reopens it");
  const back = await page.evaluate(async (id) => {
    await window.el().openConversation(id);
    return window.el().messages;
  }, deleted);
  assert.deepEqual(back, entries, "undo brings back every entry");

  // Rename by keyboard: F2 on a row, type, Enter.
  await chat.root.locator(".fc-conv-open", { hasText: "keep me" }).focus();
  await page.keyboard.press("F2");
  const name = chat.root.getByLabel("New title");
  await name.waitFor();
  await name.fill("Renamed by keyboard");
  await page.keyboard.press("Enter");
  await rows.filter({ hasText: "Renamed by keyboard" }).waitFor();
  const api = await page.evaluate(async (id) => {
    const r = await window.call("renameConversation", id, "  By the API  ");
    const empty = await window.call("renameConversation", id, "   ");
    const list = await window.el().conversations();
    return { r, empty, title: list.find((c) => c.id === id).title };
  }, deleted);
  assert.equal(api.r.ok, true);
  assert.equal(api.title, "By the API");
  assert.equal(api.empty.error.kind, "invalid_input");
  // A later reply does not take the user's title away.
  await say(page, "one more message");
  const titles = await page.evaluate(async () => (await window.el().conversations()).map((c) => c.title));
  assert.ok(titles.includes("By the API"), JSON.stringify(titles));

  const unknown = await page.evaluate(async () => ({
    open: await window.call("openConversation", "no-such-id"),
    del: await window.call("deleteConversation", "no-such-id"),
    rename: await window.call("renameConversation", "no-such-id", "x"),
  }));
  for (const r of Object.values(unknown)) assert.equal(r.error.kind, "not_found");
  assert.equal(await page.evaluate(() => window.el().messages.length), 4, "a failed open leaves the open one alone");
  assert.deepEqual(problems, []);
  await context.close();
});

test("opening another conversation or New chat during a reply stops it and keeps its partial text in its own", async () => {
  const { page, context, chat, problems } = await app();
  await say(page, "the other one");
  const other = await page.evaluate(() => window.el().conversationId);
  await page.evaluate(() => window.el().clear());
  for (const how of ["open", "new chat"]) {
    const streaming = await page.evaluate(() => {
      window.pending = window.el().send("slow");
      return window.el().conversationId;
    });
    // "slow": about 40 tokens, 100 ms apart; a few are in after 700 ms.
    await page.waitForTimeout(700);
    if (how === "open") {
      await page.evaluate((id) => window.el().openConversation(id), other);
    } else {
      await chat.root.locator(".fc-list").getByRole("button", { name: "New chat" }).click();
      await page.waitForFunction((id) => window.el().conversationId !== id, streaming);
    }
    const partial = await page.evaluate(() => window.pending);
    assert.equal(partial.stopped, true, how);
    assert.ok(partial.content.length > 0, `${how}: ${JSON.stringify(partial)}`);
    const kept = await page.evaluate(async (id) => {
      for (;;) {
        const c = (await window.el().conversations()).find((c) => c.id === id);
        if (c?.message_count === 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await window.el().openConversation(id);
      return window.el().messages;
    }, streaming);
    assert.deepEqual(kept.at(-1), partial, `${how}: the stopped reply is stored with its conversation`);
    await page.evaluate(() => window.el().clear());
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("two tabs see the same list and never overwrite each other's conversation", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const a = await app({}, context);
  const b = await app({}, context);
  await b.page.evaluate(() => {
    window.heard = [];
    window.el().addEventListener("chat-conversations", (e) => window.heard.push(e.detail));
  });
  await say(a.page, "from tab A");
  const id = await a.page.evaluate(() => window.el().conversationId);
  await b.page.waitForFunction(() => window.heard.some((d) => d.reason === "saved"));
  await b.chat.root.locator(".fc-conv-open span", { hasText: "from tab A" }).waitFor();
  const heard = await b.page.evaluate(() => window.heard[0]);
  assert.deepEqual(Object.keys(heard).sort(), ["id", "reason"]);

  // B opens A's conversation; A goes on with it; B, idle, follows.
  await b.page.evaluate((id) => window.el().openConversation(id), id);
  await say(a.page, "still tab A");
  await b.page.waitForFunction(() => window.el().messages.length === 4);
  assert.deepEqual(
    await b.page.evaluate(() => window.el().messages),
    await a.page.evaluate(() => window.el().messages),
  );

  // A change that B has not heard of yet (written straight into the database from tab A, as
  // a tab whose message is still on its way would), then B changes the same conversation:
  // B's copy is stale, so it is stored beside A's, not over it.
  const base = await b.page.evaluate(() => window.el().messages);
  await a.page.evaluate(async (id) => {
    const db = await new Promise((resolve) => {
      const open = indexedDB.open("foundry-chat");
      open.onsuccess = () => resolve(open.result);
    });
    const tx = db.transaction(["meta", "body"], "readwrite");
    const meta = tx.objectStore("meta");
    const body = tx.objectStore("body");
    const key = ["foundry-chat", id];
    const [m, b] = await Promise.all(
      [meta.get(key), body.get(key)].map((r) => new Promise((resolve) => (r.onsuccess = () => resolve(r.result)))),
    );
    const entries = [...JSON.parse(b.entries), { id: "e-a", role: "user", content: "A wrote this" }];
    meta.put({ ...m, rev: m.rev + 1, message_count: entries.length });
    body.put({ ...b, entries: JSON.stringify(entries) });
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
  }, id);
  await b.page.evaluate((m) => {
    window.el().messages = [...m, { id: "e-b", role: "user", content: "B wrote this" }];
  }, base);
  await b.page.evaluate(() => window.settled());
  const all = await a.page.evaluate(async () => {
    const el = window.el();
    const out = [];
    for (const c of await el.conversations()) {
      await el.openConversation(c.id);
      out.push(el.messages.slice(-2).map((m) => m.content));
    }
    return out;
  });
  assert.equal(all.length, 2, JSON.stringify(all));
  assert.deepEqual(
    all.map((last) => last[1]).sort(),
    ["A wrote this", "B wrote this"],
    "both versions are kept, nothing is lost",
  );
  const notices = await Promise.all([a, b].map((t) => t.chat.root.locator(".fc-storage-notice").count()));
  assert.deepEqual(notices, [0, 1], "the tab whose copy moved (B) says so");
  assert.deepEqual([...a.problems, ...b.problems], []);
  await context.close();
});

test("a store that refuses writes (quota) keeps the chat going and says so once", async () => {
  const { page, context, chat, problems } = await app();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: server.url, quotaSize: 1 });
  await page.evaluate(() => (window.el().id = "app"));
  const first = await send(page, "hello despite the quota");
  assert.equal(first.ok, true);
  const notice = chat.root.locator(".fc-storage-notice");
  await notice.waitFor();
  assert.match(await notice.textContent(), /could not be saved: the browser's storage for this site is full\. It stays here/);
  const second = await send(page, "and again");
  assert.equal(second.ok, true, "chatting goes on");
  assert.equal(await page.evaluate(() => window.el().messages.length), 4, "nothing lost in memory");
  assert.equal(await notice.count(), 1, "said once");
  await notice.getByRole("button", { name: "Dismiss" }).click();
  await notice.waitFor({ state: "detached" });
  assert.deepEqual(problems, []);
  await context.close();
});

test("a page whose IndexedDB is unavailable (private mode) keeps chatting with a notice", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(window, "indexedDB", {
      get() {
        throw new DOMException("The user denied permission to access the database.", "SecurityError");
      },
    });
  });
  const { page, chat, problems } = await app({}, context);
  await page.evaluate(() => (window.el().id = "app"));
  const r = await send(page, "hello");
  assert.equal(r.ok, true);
  const notice = chat.root.locator(".fc-storage-notice");
  await notice.waitFor();
  assert.match(await notice.textContent(), /does not allow this page to store data/);
  assert.equal(await page.evaluate(() => window.el().messages.length), 2);
  assert.deepEqual(problems, []);
  await context.close();
});

test("the transcript older versions kept in localStorage is moved into the store", async () => {
  const { page, context, chat, problems } = await app();
  const old = [
    { id: "u1", role: "user", content: "an old question" },
    { id: "a1", role: "assistant", content: "an old answer", finish_reason: "stop" },
  ];
  await page.evaluate(async (old) => {
    localStorage.setItem("foundry-chat", JSON.stringify(old));
    // A fresh database, as before the upgrade.
    await new Promise((resolve) => {
      const r = indexedDB.deleteDatabase("foundry-chat");
      r.onsuccess = r.onerror = r.onblocked = resolve;
    });
  }, old);
  await page.reload();
  await chat.input.waitFor();
  await defineHelpers(page);
  await restored(page);
  const now = await page.evaluate(async () => ({
    messages: window.el().messages,
    list: await window.el().conversations(),
    left: localStorage.getItem("foundry-chat"),
  }));
  assert.deepEqual(now.messages, old);
  assert.equal(now.list.length, 1);
  assert.equal(now.list[0].title, "an old question");
  assert.equal(now.left, null, "the old copy is removed once moved");
  await page.reload();
  await chat.input.waitFor();
  await defineHelpers(page);
  await restored(page);
  assert.equal((await page.evaluate(() => window.el().conversations())).length, 1, "moved once");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the list at 360 px is a drawer, used by keyboard alone, and passes axe", async () => {
  const { page, context, chat, problems } = await app({ viewport: { width: 360, height: 740 } });
  for (const text of ["apples", "bananas", "cherries"]) {
    await say(page, text);
    await page.evaluate(() => window.el().clear());
  }
  const list = chat.root.locator(".fc-list");
  const toggle = chat.root.locator(".fc-list-toggle");
  assert.equal(await list.isVisible(), false, "closed at 360 px");
  assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  await toggle.focus();
  await page.keyboard.press("Enter");
  await list.waitFor({ state: "visible" });
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");
  const box = await list.boundingBox();
  assert.ok(box.width <= 360, `the drawer fits: ${box.width}`);
  const focused = () => page.evaluate(() => {
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return a?.getAttribute("aria-label") || a?.textContent?.trim();
  });
  assert.equal(await focused(), "Search conversations", "the drawer takes the focus to its search");

  await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document.querySelector("foundry-chat").shadowRoot, {
      runOnly: ["wcag2a", "wcag2aa"],
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  assert.deepEqual(violations, []);

  await page.keyboard.type("banan");
  await page.waitForFunction(() =>
    document.querySelector("foundry-chat").shadowRoot.querySelectorAll(".fc-conv-open").length === 1,
  );
  assert.deepEqual(await chat.root.locator(".fc-conv-open span").allTextContents(), ["bananas"], "search matches the text");
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Backspace");
  await page.waitForFunction(() =>
    document.querySelector("foundry-chat").shadowRoot.querySelectorAll(".fc-conv-open").length === 3,
  );
  await page.keyboard.press("Tab");
  assert.match(await focused(), /^cherries/);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  assert.match(await focused(), /^apples/);
  await page.keyboard.press("ArrowUp");
  assert.match(await focused(), /^bananas/);
  await page.keyboard.press("Home");
  assert.match(await focused(), /^cherries/);
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.el().messages[0]?.content === "apples");
  await list.waitFor({ state: "hidden" });
  assert.equal(await toggle.getAttribute("aria-expanded"), "false", "opening one closes the drawer");
  assert.equal(await page.evaluate(() => window.el().shadowRoot.activeElement?.getAttribute("part")), "input", "and the focus goes to the composer");
  await toggle.click();
  await list.waitFor({ state: "visible" });
  await page.keyboard.press("Escape");
  await list.waitFor({ state: "hidden" });
  assert.equal(await focused(), "Conversations", "Escape gives the focus back to the drawer's button");
  assert.deepEqual(problems, []);
  await context.close();
});

test("at desktop width the list is a sidebar beside the chat, with New chat", async () => {
  const { page, context, chat, problems } = await app({ viewport: { width: 1100, height: 800 } });
  await say(page, "a question");
  const list = chat.root.locator(".fc-list");
  assert.equal(await list.isVisible(), true);
  const [side, main] = await Promise.all([list.boundingBox(), chat.root.locator(".fc-main").boundingBox()]);
  assert.ok(side.x + side.width <= main.x + 1, "side by side");
  await list.getByRole("button", { name: "New chat" }).click();
  await page.waitForFunction(() => window.el().messages.length === 0);
  assert.equal((await page.evaluate(() => window.el().conversations())).length, 1, "New chat keeps the old one");
  assert.deepEqual(problems, []);
  await context.close();
});

test("without persist the conversation methods reject with invalid_input", async () => {
  const { page, context, problems } = await openPage(browser, `${server.url}/embed.html`);
  await page.waitForFunction(() => document.getElementById("chat-a")?.shadowRoot?.querySelector('[part~="input"]'));
  const results = await page.evaluate(async () => {
    const el = document.getElementById("chat-a");
    const out = {};
    const calls = {
      conversations: () => el.conversations(),
      openConversation: () => el.openConversation("x"),
      deleteConversation: () => el.deleteConversation("x"),
      renameConversation: () => el.renameConversation("x", "y"),
      exportConversations: () => el.exportConversations({ format: "json" }),
      importConversations: () => el.importConversations("{}"),
    };
    for (const [name, f] of Object.entries(calls)) {
      try {
        await f();
        out[name] = "resolved";
      } catch (e) {
        out[name] = `${e.kind}: ${e.message}`;
      }
    }
    return { out, id: typeof el.conversationId, list: !!el.shadowRoot.querySelector(".fc-list") };
  });
  for (const [name, r] of Object.entries(results.out)) {
    assert.match(r, /^invalid_input: .*persist/, name);
  }
  assert.equal(results.id, "string");
  assert.equal(results.list, false, "no list without conversations=\"list\"");
  assert.deepEqual(problems, []);
  await context.close();
});
