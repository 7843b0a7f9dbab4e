// Reading a torch tensor view (offset + sizes + strides, in elements) out of its storage's bytes,
// producing the contiguous row-major bytes the engine works with.
import { DTYPE_SIZE, numElements } from '../../tensor/dtypes';
import type { TorchTensor } from './python-values';
import type { Inflation } from './inflated-records';

/** Where a storage's bytes live: a zip record or a span of a legacy file. */
export interface StorageBytes {
  byteLength: number;
  /** `into`, when exactly `length` bytes long, may be filled and returned instead of a new buffer. */
  read(byteOffset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Where byte `byteOffset` of the storage lies in the file, when its bytes are stored verbatim there. */
  fileOffset?(byteOffset: number): Promise<number | undefined>;
  /** For a compressed record: what serving reads from it inflates (absent when its bytes are stored as-is). */
  inflation?: Inflation;
}

/** Largest view we will materialise beyond its storage's size (stride-0 broadcasts), in bytes. */
const MAX_EXPANDED_VIEW_BYTES = 256 << 20;

export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i];
  }
  return true;
}

/** First element index of the view in its storage (legacy storage views add their own offset). */
function firstElement(t: TorchTensor): number {
  return t.storage.elementOffset + t.offset;
}

/** Elements of the storage the view touches: [first, last] inclusive, or null when empty. */
export function viewSpan(t: TorchTensor): { first: number; last: number } | null {
  if (numElements(t.shape) === 0) return null;
  let last = firstElement(t);
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
  return { first: firstElement(t), last };
}

/** Why the view cannot be read from a storage of `storageBytes` bytes, or null when it can. */
export function viewProblem(t: TorchTensor, storageBytes: number): string | null {
  const es = DTYPE_SIZE[t.dtype];
  const span = viewSpan(t);
  if (!span) return null;
  if (!Number.isSafeInteger(span.last) || (span.last + 1) * es > storageBytes) {
    return `its view (offset ${t.offset}, size [${t.shape}], stride [${t.stride}]) reaches past its storage of ${storageBytes} bytes`;
  }
  const bytes = numElements(t.shape) * es;
  if (bytes > storageBytes && bytes > MAX_EXPANDED_VIEW_BYTES) {
    return `its view repeats a ${storageBytes}-byte storage into ${bytes} bytes`;
  }
  return null;
}

/**
 * Like readView, plus the file offset of the bytes when they are the file's bytes verbatim (a contiguous
 * view of a stored record), so a caller can hash the file from them.
 */
export async function readViewSpan(t: TorchTensor, src: StorageBytes, into?: Uint8Array): Promise<{ data: Uint8Array; fileOffset: number | undefined }> {
  const es = DTYPE_SIZE[t.dtype];
  const span = viewSpan(t);
  if (span && isContiguous(t.shape, t.stride) && src.fileOffset) {
    const data = await src.read(span.first * es, numElements(t.shape) * es, into);
    return { data, fileOffset: await src.fileOffset(span.first * es) };
  }
  return { data: await readView(t, src), fileOffset: undefined };
}

/** The view's elements, contiguous row-major; reads only the span of the storage it covers. */
export async function readView(t: TorchTensor, src: StorageBytes): Promise<Uint8Array> {
  const es = DTYPE_SIZE[t.dtype];
  const n = numElements(t.shape);
  const span = viewSpan(t);
  if (!span) return new Uint8Array(0);
  if (isContiguous(t.shape, t.stride)) return src.read(span.first * es, n * es);
  let raw = await src.read(span.first * es, (span.last - span.first + 1) * es);
  if (raw.byteOffset % es) raw = new Uint8Array(raw); // a copy at offset 0: typed views below need aligned bytes (a Buffer's slice() is a view)
  const out = new Uint8Array(n * es);
  // Copy whole elements as 1-, 2- or 4-byte words (8-byte ones as two words): bits, never numbers.
  const word = es === 8 ? 4 : es;
  const wordsPer = es / word;
  const src32 = wordArray(raw, word);
  const dst32 = wordArray(out, word);
  const rank = t.shape.length;
  const lastDim = t.shape[rank - 1];
  const lastStride = t.stride[rank - 1];
  const idx = new Array<number>(Math.max(0, rank - 1)).fill(0);
  let o = 0;
  // Walk every row (all dims but the last) like an odometer; copy each row in one go when it is dense.
  for (;;) {
    let base = 0;
    for (let d = 0; d < rank - 1; d++) base += idx[d] * t.stride[d];
    if (lastStride === 1) {
      dst32.set(src32.subarray(base * wordsPer, (base + lastDim) * wordsPer), o);
      o += lastDim * wordsPer;
    } else if (wordsPer === 1) {
      for (let j = 0; j < lastDim; j++) dst32[o++] = src32[base + j * lastStride];
    } else {
      for (let j = 0; j < lastDim; j++) {
        const from = (base + j * lastStride) * 2;
        dst32[o++] = src32[from];
        dst32[o++] = src32[from + 1];
      }
    }
    let d = rank - 2;
    while (d >= 0 && ++idx[d] === t.shape[d]) idx[d--] = 0;
    if (d < 0) break;
  }
  return out;
}

function wordArray(b: Uint8Array, word: number): Uint8Array | Uint16Array | Uint32Array {
  if (word === 1) return b;
  if (word === 2) return new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
