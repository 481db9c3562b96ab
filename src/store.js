// The IndexedDB side of the conversation store: a thin promise wrapper over the browser's
// database, plus the BroadcastChannel that tells the page's other tabs about a change. What
// is stored, when and why lives in src/session/library.rs; this file only moves records.
//
// Database `foundry-chat`, two object stores keyed by [ns, id] (ns = the `persist` key):
// `meta` holds what the list shows and searches (small), `body` the transcript as JSON text.

const NAME = "foundry-chat";

let opening;

function database() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("meta", { keyPath: ["ns", "id"] }).createIndex("ns", "ns");
        db.createObjectStore("body", { keyPath: ["ns", "id"] });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the schema later: let it, and reopen on the next call.
        db.onversionchange = () => {
          db.close();
          opening = undefined;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("the conversation database is blocked by another tab"));
    });
    opening.catch(() => (opening = undefined));
  }
  return opening;
}

// Runs `work(stores)` in one transaction; resolves with what it set in `out.value` once the
// transaction committed, rejects with its error (a quota error, say) when it aborted.
async function transaction(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(["meta", "body"], mode);
    const out = {};
    tx.oncomplete = () => resolve(out.value);
    tx.onabort = tx.onerror = () => reject(tx.error || new Error("the transaction was aborted"));
    work({ meta: tx.objectStore("meta"), body: tx.objectStore("body") }, out, tx);
  });
}

/** Every conversation's meta record under `ns`. */
export function storeList(ns) {
  return transaction("readonly", (s, out) => {
    const request = s.meta.index("ns").getAll(IDBKeyRange.only(ns));
    request.onsuccess = () => (out.value = request.result);
  });
}

/** `[meta, entriesJson]` of one conversation, or null. */
export function storeGet(ns, id) {
  return transaction("readonly", (s, out) => {
    const meta = s.meta.get([ns, id]);
    const body = s.body.get([ns, id]);
    body.onsuccess = () => {
      out.value = meta.result && body.result ? [meta.result, body.result.entries] : null;
    };
  });
}

/**
 * Writes one conversation unless another writer got there first: `baseRev` is the revision
 * this copy was read at (0 for a copy never stored). Resolves with the new revision; with -1
 * when the stored revision is another one, -2 when the conversation was deleted since (then
 * nothing is written).
 */
export function storeSave(ns, meta, entries, baseRev) {
  return transaction("readwrite", (s, out) => {
    const current = s.meta.get([ns, meta.id]);
    current.onsuccess = () => {
      const stored = current.result;
      if (stored ? stored.rev !== baseRev : baseRev !== 0) {
        out.value = stored ? -1 : -2;
        return;
      }
      const rev = (stored ? stored.rev : 0) + 1;
      s.meta.put({ ...meta, ns, rev });
      s.body.put({ ns, id: meta.id, entries });
      out.value = rev;
    };
  });
}

/** Writes conversations `[meta, entriesJson]` all in one transaction: all or none. */
export function storePutAll(ns, records) {
  return transaction("readwrite", (s) => {
    for (const [meta, entries] of records) {
      s.meta.put({ ...meta, ns, rev: meta.rev || 1 });
      s.body.put({ ns, id: meta.id, entries });
    }
  });
}

/** Changes the meta record of `id` with `patch`; resolves false when there is none. */
export function storePatch(ns, id, patch) {
  return transaction("readwrite", (s, out) => {
    const current = s.meta.get([ns, id]);
    current.onsuccess = () => {
      out.value = !!current.result;
      if (current.result) s.meta.put({ ...current.result, ...patch, rev: current.result.rev + 1 });
    };
  });
}

/** Removes `id`; resolves false when there was none. */
export function storeDelete(ns, id) {
  return transaction("readwrite", (s, out) => {
    const current = s.meta.getKey([ns, id]);
    current.onsuccess = () => (out.value = current.result !== undefined);
    s.meta.delete([ns, id]);
    s.body.delete([ns, id]);
  });
}

/** A channel to the page's other tabs (and other elements) sharing `ns`. */
export function storeChannel(ns, onMessage) {
  if (typeof BroadcastChannel !== "function") return null;
  const channel = new BroadcastChannel(`${NAME}:${ns}`);
  channel.onmessage = (event) => onMessage(event.data);
  return channel;
}
