// The <foundry-chat> custom element class. wasm-bindgen cannot extend HTMLElement, so this
// shim declares the class and forwards lifecycle callbacks, attributes, properties and
// methods to the Rust core object that `create(host)` returns.

const ATTRIBUTES = [
  "endpoint",
  "api-style",
  "model",
  "api-version",
  "api-key",
  "system-prompt",
  "stream",
  "persist",
  "theme",
  "settings",
  "tools",
  "previous-response-id",
  "conversations",
];

// `conversations` is an attribute only: the property of that name is the method.
const camel = (a) => a.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const REFLECTED = ATTRIBUTES.filter((a) => a !== "conversations");

const PROPERTIES = [
  ...REFLECTED.map(camel),
  "messages",
  "params",
  "toolChoice",
  "maxToolRounds",
  "imageOptions",
  "extraParams",
  "tokenProvider",
];

export function defineFoundryChat(tag, create) {
  if (customElements.get(tag)) return;

  class FoundryChat extends HTMLElement {
    static get observedAttributes() {
      return ATTRIBUTES;
    }

    constructor() {
      super();
      this._core = create(this);
      // A property set on the element before the class was defined shadows the accessor:
      // take its value and hand it to the core.
      for (const name of PROPERTIES) {
        if (Object.prototype.hasOwnProperty.call(this, name)) {
          const value = this[name];
          delete this[name];
          this[name] = value;
        }
      }
    }

    connectedCallback() {
      this._core.connected();
    }

    disconnectedCallback() {
      this._core.disconnected();
    }

    attributeChangedCallback(name, _old, value) {
      this._core.attributeChanged(name, value);
    }

    get messages() {
      return this._core.messages();
    }
    set messages(value) {
      this._core.setMessages(value);
    }

    get params() {
      return this._core.params();
    }
    set params(value) {
      this._core.setParams(value);
    }

    get toolChoice() {
      return this._core.toolChoice();
    }
    set toolChoice(value) {
      this._core.setToolChoice(value);
    }

    get maxToolRounds() {
      return this._core.maxToolRounds();
    }
    set maxToolRounds(value) {
      this._core.setMaxToolRounds(value);
    }

    get imageOptions() {
      return this._core.imageOptions();
    }
    set imageOptions(value) {
      this._core.setImageOptions(value);
    }

    get extraParams() {
      return this._core.extraParams();
    }
    set extraParams(value) {
      this._core.setExtraParams(value);
    }

    get tokenProvider() {
      return this._core.tokenProvider();
    }
    set tokenProvider(value) {
      this._core.setTokenProvider(value);
    }

    get busy() {
      return this._core.busy();
    }

    send(text, options) {
      return this._core.send(text, options);
    }

    stop() {
      this._core.stop();
    }

    clear() {
      this._core.clear();
    }

    registerTool(definition, handler, options) {
      this._core.registerTool(definition, handler, options);
    }

    unregisterTool(name) {
      return this._core.unregisterTool(String(name));
    }

    modelInfo() {
      return this._core.modelInfo();
    }

    get conversationId() {
      return this._core.conversationId();
    }

    conversations() {
      return this._core.conversationCall("list");
    }

    openConversation(id) {
      return this._core.conversationCall("open", String(id));
    }

    deleteConversation(id) {
      return this._core.conversationCall("delete", String(id));
    }

    renameConversation(id, title) {
      return this._core.conversationCall("rename", String(id), String(title ?? ""));
    }

    exportConversations(options) {
      return this._core.conversationCall("export", options);
    }

    importConversations(text) {
      return this._core.conversationCall("import", text);
    }
  }

  // Every attribute is also a property (`api-style` ↔ `apiStyle`) that reads and writes
  // the attribute, so the two always agree; `null` removes the attribute.
  for (const attribute of REFLECTED) {
    const property = camel(attribute);
    Object.defineProperty(FoundryChat.prototype, property, {
      configurable: true,
      enumerable: true,
      get() {
        return this.getAttribute(attribute);
      },
      set(value) {
        if (value === null || value === undefined) this.removeAttribute(attribute);
        else this.setAttribute(attribute, String(value));
      },
    });
  }

  customElements.define(tag, FoundryChat);
}
