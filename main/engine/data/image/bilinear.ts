// Bilinear sampling on planar [C, H, W] float images, with pixel centres at +0.5 (the convention of
// PyTorch's align_corners=False and PIL), used for resizing and for rotations by arbitrary angles.

/** Value of one plane at real coordinates (y, x); outside the image it is `fill`. */
export function sampleBilinear(plane: Float32Array, offset: number, h: number, w: number, y: number, x: number, fill: number): number {
  const y0 = Math.floor(y), x0 = Math.floor(x);
  const fy = y - y0, fx = x - x0;
  const at = (yy: number, xx: number) => (yy < 0 || yy >= h || xx < 0 || xx >= w ? fill : plane[offset + yy * w + xx]);
  return (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
}

/** Resizes [C, H, W] to [C, outH, outW]; edges clamp (no fill), as image resizers do. */
export function resizeBilinear(src: Float32Array, c: number, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(c * outH * outW);
  if (h === outH && w === outW) { out.set(src.subarray(0, c * h * w)); return out; }
  const sy = h / outH, sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, h - 1), wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, w - 1), wx = fx - x0;
      for (let ch = 0; ch < c; ch++) {
        const o = ch * h * w;
        const top = (1 - wx) * src[o + y0 * w + x0] + wx * src[o + y0 * w + x1];
        const bot = (1 - wx) * src[o + y1 * w + x0] + wx * src[o + y1 * w + x1];
        out[ch * outH * outW + y * outW + x] = (1 - wy) * top + wy * bot;
      }
    }
  }
  return out;
}
