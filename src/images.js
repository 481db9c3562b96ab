// The JS side of src/images.rs: redraws images off the main thread. This one module is both
// the helper the wasm imports and, started with `new Worker(import.meta.url, {type:
// "module"})`, the worker itself: a same-origin script, so a page CSP that lets the
// component load (script-src 'self') lets the worker load too. The worker decodes the
// original file (EXIF orientation applied), draws it at the requested size with
// high-quality smoothing on an OffscreenCanvas and encodes it; the page only posts the Blob
// and gets a Blob back.

// Resolves with the encoded Blob; rejects with "decode" or "encode" (what failed), or with
// "unavailable" when no worker could run (the caller then does the work itself).
export function redrawInWorker(blob, width, height, type, quality) {
  return new Promise((resolve, reject) => {
    let worker;
    try {
      worker = new Worker(import.meta.url, { type: "module" });
    } catch {
      reject("unavailable");
      return;
    }
    // The job goes out once the worker says it listens (a wrapper that imports this module
    // late, as test runners do, would miss an earlier message).
    worker.onmessage = ({ data }) => {
      if (data === "ready") return worker.postMessage({ blob, width, height, type, quality });
      worker.terminate();
      if (data.blob) resolve(data.blob);
      else reject(data.error);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      reject("unavailable");
    };
  });
}

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  self.onmessage = async ({ data: { blob, width, height, type, quality } }) => {
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch {
      self.postMessage({ error: "decode" });
      return;
    }
    try {
      const canvas = new OffscreenCanvas(width, height);
      const context = canvas.getContext("2d");
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, width, height);
      self.postMessage({ blob: await canvas.convertToBlob({ type, quality }) });
    } catch {
      self.postMessage({ error: "encode" });
    } finally {
      bitmap.close();
    }
  };
  self.postMessage("ready");
}
