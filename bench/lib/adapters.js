// In-page adapters (run inside the benchmarked page via page.evaluate): how to find the
// composer, send a message, find the assistant replies and tell whether one still streams,
// for our <foundry-chat> and for the peer <deep-chat>.
window.__adapters = {
  ours: {
    root: () => document.querySelector("foundry-chat")?.shadowRoot ?? null,
    composerReady() {
      const input = this.root()?.querySelector("[part~=input]");
      return !!input && !input.disabled;
    },
    replies() {
      return this.root()?.querySelectorAll("[part~=message-assistant]") ?? [];
    },
    // The reply's rendered markdown only (not the "Waiting for the reply…" mark).
    text: (el) => (el.querySelector(".fc-body") ?? el).textContent,
    streaming: (el) => el.getAttribute("data-state") === "streaming",
    send(text) {
      const host = document.querySelector("foundry-chat");
      if (typeof host.send === "function") return host.send(text);
      const input = this.root().querySelector("[part~=input]");
      input.value = text;
      input.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
      input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, composed: true, cancelable: true }));
    },
    setHistory(messages) {
      document.querySelector("foundry-chat").messages = messages.map((m, i) => ({
        id: `h${i}`,
        role: m.role,
        content: m.content,
      }));
    },
  },
  "deep-chat": {
    root: () => document.querySelector("deep-chat")?.shadowRoot ?? null,
    composerReady() {
      return !!this.root()?.querySelector("#text-input");
    },
    replies() {
      return this.root()?.querySelectorAll(".ai-message-text") ?? [];
    },
    text: (el) => el.textContent,
    streaming: () => false,
    send(text) {
      document.querySelector("deep-chat").submitUserMessage({ text });
    },
    setHistory(messages) {
      document.querySelector("deep-chat").history = messages.map((m) => ({
        role: m.role === "assistant" ? "ai" : "user",
        text: m.content,
      }));
    },
  },
};
