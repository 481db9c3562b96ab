// Script of the embed example page (a separate file: the page's CSP allows no inline
// script). Registers a JavaScript tool on the second chat and logs every event.
await customElements.whenDefined("foundry-chat");

const withTool = document.getElementById("chat-b");
withTool.registerTool(
  {
    name: "get_weather",
    description: "The current weather in a city.",
    parameters: {
      type: "object",
      properties: { city: { type: "string", description: "The city name" } },
      required: ["city"],
    },
  },
  async ({ city }) => ({ city, forecast: "sunny", temperature_c: 21 }),
  { approval: "auto", timeoutMs: 5000 },
);

const log = document.getElementById("log");
for (const name of ["chat-message", "chat-error", "chat-tool-call", "chat-busy"]) {
  document.addEventListener(name, (event) => {
    const item = document.createElement("li");
    item.textContent = `${event.target.id} ${name} ${JSON.stringify(event.detail).slice(0, 200)}`;
    log.append(item);
    log.scrollTop = log.scrollHeight;
  });
}
