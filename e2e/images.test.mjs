// Images against the demo endpoint (which describes each image it receives): exact
// dimensions and bytes arrive, oversized images arrive downscaled, paste and drop attach,
// and every bad file gets its own refusal while nothing is sent.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { deflateSync, crc32 } from "node:zlib";
import { startServer, launchBrowser, openPage, parts } from "./harness.mjs";

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

/** A minimal RGB PNG (no metadata chunks): a horizontal gradient. */
function png(width, height) {
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
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([(x * 255) / width, 128, 255 - (x * 255) / width], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function chatPage() {
  const opened = await openPage(browser, `${server.url}/`);
  const { page } = opened;
  await page.locator("foundry-chat").waitFor();
  const chat = parts(page);
  const requests = [];
  page.on("request", (r) => {
    if (r.url().includes("/chat/completions")) requests.push(r);
  });
  const picker = chat.root.locator('form input[type="file"]');
  return { ...opened, chat, requests, picker };
}

async function readyThumbnails(chat, count) {
  await chat.root.locator('[part~="attachment"][data-state="ready"]').nth(count - 1).waitFor();
  assert.equal(await chat.part("attachment").count(), count);
}

async function sendAndRead(chat, text) {
  await chat.input.fill(text);
  await chat.send.click();
  const done = chat.root.locator('[part~="message-assistant"]:not([data-state="streaming"])').last();
  await done.waitFor({ timeout: 20000 });
  return (await done.locator(".fc-body").textContent()).trim();
}

/** Puts `files` ({name, type, base64}) into a DataTransfer in the page and dispatches `kind`. */
async function transfer(page, kind, files) {
  await page.evaluate(
    ([kind, files]) => {
      const dt = new DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: f.type }));
      }
      const root = document.querySelector("foundry-chat").shadowRoot;
      if (kind === "paste") {
        const input = root.querySelector('[part~="input"]');
        input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, composed: true, cancelable: true }));
      } else {
        const list = root.querySelector('[part~="messages"]');
        const init = { dataTransfer: dt, bubbles: true, composed: true, cancelable: true };
        list.dispatchEvent(new DragEvent("dragenter", init));
        list.dispatchEvent(new DragEvent("dragover", init));
        list.dispatchEvent(new DragEvent("drop", init));
      }
    },
    [kind, files],
  );
}

test("a picked 37×23 PNG arrives intact: the endpoint sees its exact dimensions and bytes", async () => {
  const { chat, picker, requests, context, problems } = await chatPage();
  const image = png(37, 23);
  await picker.setInputFiles({ name: "tiny.png", mimeType: "image/png", buffer: image });
  await readyThumbnails(chat, 1);
  const reply = await sendAndRead(chat, "What is in this image?");
  assert.match(reply, new RegExp(`Image 1: 37×23 pixels, ${image.length} bytes \\(image/png\\)\\.`));
  assert.equal(requests.length, 1);
  const body = JSON.parse(requests[0].postData());
  const content = body.messages.at(-1).content;
  assert.deepEqual(content[0], { type: "text", text: "What is in this image?" });
  assert.equal(content[1].type, "image_url");
  assert.equal(content[1].image_url.url, `data:image/png;base64,${image.toString("base64")}`);
  const shown = chat.user.last().locator("img");
  assert.equal(await shown.count(), 1, "the sent image is shown in the user's message");
  assert.match(await shown.getAttribute("src"), /^data:image\/png;base64,/);
  assert.equal(await chat.part("attachment").count(), 0, "the composer is emptied");
  assert.deepEqual(problems, []);
  await context.close();
});

test("a 3000×1500 image arrives downscaled to 2048×1024", async () => {
  const { chat, picker, context } = await chatPage();
  await picker.setInputFiles({ name: "wide.png", mimeType: "image/png", buffer: png(3000, 1500) });
  await readyThumbnails(chat, 1);
  const reply = await sendAndRead(chat, "Describe");
  assert.match(reply, /Image 1: 2048×1024 pixels/);
  await context.close();
});

test("pasting and dropping images attach them, in order", async () => {
  const { page, chat, context, problems } = await chatPage();
  const a = { name: "pasted.png", type: "image/png", base64: png(10, 20).toString("base64") };
  const b = { name: "dropped.png", type: "image/png", base64: png(30, 15).toString("base64") };
  await transfer(page, "paste", [a]);
  await readyThumbnails(chat, 1);
  await transfer(page, "drop", [b]);
  await readyThumbnails(chat, 2);
  const reply = await sendAndRead(chat, "Two images");
  assert.match(reply, /Image 1: 10×20 pixels[\s\S]*Image 2: 30×15 pixels/);
  assert.deepEqual(problems, []);
  await context.close();
});

test("each bad file gets its own refusal naming it, and nothing is sent", async () => {
  const { chat, picker, requests, context } = await chatPage();
  const good = png(8, 8);
  const corrupt = Buffer.concat([good.subarray(0, 33), Buffer.from("garbage, not image data")]);
  const huge = Buffer.concat([good.subarray(0, 8), Buffer.alloc(21 * 1024 * 1024)]);
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypheic\0\0\0\0mif1heic\0\0\0\0")]);
  await picker.setInputFiles([
    { name: "report.png", mimeType: "image/png", buffer: Buffer.from("%PDF-1.7\n%âãÏÓ\n1 0 obj\n") },
    { name: "broken.png", mimeType: "image/png", buffer: corrupt },
    { name: "huge.png", mimeType: "image/png", buffer: huge },
    { name: "photo.heic", mimeType: "image/heic", buffer: heic },
  ]);
  const refusals = chat.part("refusal");
  await refusals.nth(3).waitFor();
  const texts = await refusals.allTextContents();
  assert.equal(texts.length, 4);
  assert.match(texts.find((t) => t.startsWith("report.png")), /PDF, not an image/);
  assert.match(texts.find((t) => t.startsWith("broken.png")), /damaged/);
  assert.match(texts.find((t) => t.startsWith("huge.png")), /21\.0 MB; the limit is 20\.0 MB/);
  assert.match(texts.find((t) => t.startsWith("photo.heic")), /HEIC/);
  assert.equal(await chat.part("attachment").count(), 0, "no refused file stays attached");
  await chat.send.click();
  await chat.root.locator(".fc-notice", { hasText: "empty" }).waitFor();
  assert.equal(requests.length, 0, "nothing was sent");
  await context.close();
});

test("files beyond the maximum count are refused one by one; the rest stay attached", async () => {
  const { chat, picker, requests, context } = await chatPage();
  const files = Array.from({ length: 10 }, (_, i) => ({ name: `p${i}.png`, mimeType: "image/png", buffer: png(4 + i, 4) }));
  await picker.setInputFiles(files);
  await readyThumbnails(chat, 8);
  const texts = await chat.part("refusal").allTextContents();
  assert.deepEqual(
    texts.map((t) => t.replace(/×$/, "")),
    ["p8.png: At most 8 images can be attached to one message.", "p9.png: At most 8 images can be attached to one message."],
  );
  await chat.root.getByRole("button", { name: "Remove p0.png" }).click();
  assert.equal(await chat.part("attachment").count(), 7);
  assert.equal(requests.length, 0);
  await context.close();
});

test("the attach button, thumbnails and remove buttons are reachable by keyboard", async () => {
  const { page, chat, picker, context } = await chatPage();
  await picker.setInputFiles({ name: "k.png", mimeType: "image/png", buffer: png(5, 5) });
  await readyThumbnails(chat, 1);
  await chat.input.focus();
  await page.keyboard.press("Shift+Tab");
  assert.equal(await chat.part("attach").evaluate((el) => el.getRootNode().activeElement === el), true);
  await page.keyboard.press("Shift+Tab");
  const remove = chat.root.getByRole("button", { name: "Remove k.png" });
  assert.equal(await remove.evaluate((el) => el.getRootNode().activeElement === el), true);
  await page.keyboard.press("Enter");
  assert.equal(await chat.part("attachment").count(), 0);
  await context.close();
});

test("editing a message with an image resends the image too", async () => {
  const { chat, picker, requests, context } = await chatPage();
  await picker.setInputFiles({ name: "e.png", mimeType: "image/png", buffer: png(12, 7) });
  await readyThumbnails(chat, 1);
  assert.match(await sendAndRead(chat, "first"), /Image 1: 12×7 pixels/);
  await chat.user.last().getByRole("button", { name: "Edit this message and send it again" }).click();
  await chat.root.getByRole("textbox", { name: "Edit message" }).fill("second");
  await chat.root.getByRole("button", { name: "Save & resend" }).click();
  await chat.root.locator('[part~="message-assistant"]:not([data-state="streaming"])').last().waitFor();
  await chat.root.locator(`[part~="message-user"]`, { hasText: "second" }).waitFor();
  const done = chat.root.locator('[part~="message-assistant"]:not([data-state="streaming"])').last();
  await done.filter({ hasText: "Image 1: 12×7 pixels" }).waitFor({ timeout: 20000 });
  const content = JSON.parse(requests.at(-1).postData()).messages.at(-1).content;
  assert.deepEqual(content[0], { type: "text", text: "second" });
  assert.equal(content[1].type, "image_url");
  await context.close();
});
