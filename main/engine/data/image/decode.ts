// PNG / JPEG bytes -> 8-bit RGBA pixels, with errors that name the file. The format is read from the
// file's magic bytes, not its extension (a ".png" that is really a JPEG still loads).
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DatasetError } from '../errors';

export interface RgbaImage { width: number; height: number; data: Uint8Array }

export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

export function decodeImage(bytes: Uint8Array, file: string): RgbaImage {
  const format = imageFormat(bytes);
  if (!format) throw new DatasetError(file, 'is neither a PNG nor a JPEG (unrecognised first bytes)', 'Remove it from the folder or convert it to PNG');
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch {
    // The decoders' messages can quote bytes of the file (jpeg-js names unknown markers in hex): left out.
    throw new DatasetError(file, `is a damaged ${format.toUpperCase()} (the decoder could not read it)`, 'Re-export the image or remove it from the folder');
  }
}

/** True when every pixel has R = G = B (alpha ignored). */
export function isGray(img: RgbaImage): boolean {
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/** RGBA -> planar [C, H, W] floats in [0, 1]; alpha is dropped; 1 channel uses ITU-R 601 luma (as PIL's "L"). */
export function toPlanar(img: RgbaImage, channels: 1 | 3): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(channels * n);
  const d = img.data;
  for (let p = 0; p < n; p++) {
    const r = d[4 * p], g = d[4 * p + 1], b = d[4 * p + 2];
    if (channels === 1) out[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    else { out[p] = r / 255; out[n + p] = g / 255; out[2 * n + p] = b / 255; }
  }
  return out;
}
