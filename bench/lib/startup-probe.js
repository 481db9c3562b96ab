// Injected before the page's scripts (after adapters.js) for the start-up benchmark: notes
// performance.now() (ms since navigation start) when the composer first becomes usable.
// Shadow roots are observed from the moment they are attached, so the check runs on every
// DOM change inside the component, not once per frame.
(() => {
  const pick = () => (location.pathname.includes("deep-chat") ? "deep-chat" : "ours");
  const check = () => {
    if (window.__composerReady === undefined && window.__adapters[pick()].composerReady()) {
      window.__composerReady = performance.now();
    }
  };
  const observer = new MutationObserver(check);
  const watch = (node) => observer.observe(node, { subtree: true, childList: true, attributes: true });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    watch(root);
    return root;
  };
  watch(document);
  const poll = () => {
    check();
    if (window.__composerReady === undefined) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();
