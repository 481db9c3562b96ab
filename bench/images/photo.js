// The image both image benchmarks measure: a photo-like 4000×3000 JPEG (gradients with a
// little noise), made in the page. A classic script: `await photoJpeg()` gives the Blob.
globalThis.photoJpeg = async function photoJpeg() {
  const canvas = new OffscreenCanvas(4000, 3000);
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(4000, 3000);
  let seed = 0x9e3779b9;
  for (let i = 0, p = 0; p < img.data.length; i++, p += 4) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    const n = seed & 15, x = i % 4000, y = (i / 4000) | 0;
    img.data[p] = ((x * 200) / 4000 + n) | 0;
    img.data[p + 1] = ((y * 200) / 3000 + n) | 0;
    img.data[p + 2] = (((x + y) * 100) / 7000 + n) | 0;
    img.data[p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas.convertToBlob({ type: "image/jpeg", quality: 0.92 });
};
