// Loader of the <foundry-chat> web component: a host page adds
// <script type="module" src=".../foundry-chat.js"></script> and nothing else.
// It initialises the wasm module next to this file; the module's start function defines
// the element. Needs no inline script and no 'unsafe-eval' (only 'wasm-unsafe-eval').
import init from "./foundry_chat_app.js";

await init({ module_or_path: new URL("./foundry_chat_app_bg.wasm", import.meta.url) });
