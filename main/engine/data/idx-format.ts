// The IDX file format of MNIST / Fashion-MNIST: 2 zero bytes, a type code, the number of dims, each dim as a
// big-endian uint32, then the values big-endian. Gzipped files are recognised by their magic bytes. Errors give
// sizes and dimensions, never a byte of the file as such.
import { gunzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { DatasetError } from './errors';

export interface IdxArray {
  type: IdxType;
  dims: number[];
  /** Values as numbers (ubyte stays 0..255; scaling is the caller's choice). */
  values: Float32Array;
}

export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';
const TYPES: Record<number, { name: IdxType; size: number }> = {
  0x08: { name: 'ubyte', size: 1 }, 0x09: { name: 'byte', size: 1 }, 0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 }, 0x0d: { name: 'float', size: 4 }, 0x0e: { name: 'double', size: 8 },
};

export async function readIdxFile(file: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new DatasetError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'Check the path');
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DatasetError(file, `looks gzipped but does not decompress (${(e as Error).message})`, 'Download the file again');
    }
  }
  return parseIdx(bytes, file);
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const remedy = 'Give an MNIST-style IDX file (e.g. train-images-idx3-ubyte or its .gz)';
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new DatasetError(file, 'is not an IDX file (it does not start with two zero bytes)', remedy);
  const t = TYPES[bytes[2]];
  if (!t) throw new DatasetError(file, 'is not an IDX file (its third byte is no IDX type code)', remedy);
  const ndim = bytes[3];
  if (ndim < 1) throw new DatasetError(file, 'is an IDX file with zero dimensions', remedy);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new DatasetError(file, `is truncated inside its header (${bytes.length} bytes)`, 'Download the file again');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = header + count * t.size;
  if (bytes.length < expected) {
    throw new DatasetError(file, `is truncated: its header promises ${dims.join('×')} ${t.name} values (${expected} bytes) but the file holds ${bytes.length} bytes`, 'Download the file again');
  }
  if (bytes.length > expected) {
    throw new DatasetError(file, `has ${bytes.length - expected} bytes after the ${dims.join('×')} values its header describes`, 'The file is damaged or not IDX; download it again');
  }
  const values = new Float32Array(count);
  if (t.name === 'ubyte') values.set(bytes.subarray(header, expected));
  else {
    for (let i = 0, o = header; i < count; i++, o += t.size) {
      switch (t.name) {
        case 'byte': values[i] = view.getInt8(o); break;
        case 'short': values[i] = view.getInt16(o, false); break;
        case 'int': values[i] = view.getInt32(o, false); break;
        case 'float': values[i] = view.getFloat32(o, false); break;
        case 'double': values[i] = view.getFloat64(o, false); break;
      }
    }
  }
  return { type: t.name, dims, values };
}

/** Encodes an IDX file (used by the fixture script and tests; big-endian as the format requires). */
export function encodeIdx(type: 'ubyte', dims: number[], values: ArrayLike<number>): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new Error(`encodeIdx: ${values.length} values for dims ${dims.join('×')}`);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = type === 'ubyte' ? 0x08 : 0;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) out[4 + 4 * dims.length + i] = values[i];
  return out;
}
