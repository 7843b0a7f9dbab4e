// How far a torch.save file may expand: the tensor bytes it spells out (stride-0 broadcasts and names that
// repeat one tensor are written out in full by convert and merge) and the bytes inflated to read them
// (compressed records), each against a multiple of the file's size. Checked when the file is opened, so an
// amplifying file is refused before anything is read or written.
import { DTYPE_SIZE, numElements } from '../../tensor/dtypes';
import type { NamedTensor } from './state-dict';
import { viewSpan, type StorageBytes } from './tensor-view';
import type { TorchStorage } from './python-values';
import { MAX_ZIP_RATIO } from './opened-file';

/** Names the override: the largest expansion ratio accepted (a number, at least 1). */
export const MAX_EXPANSION_ENV = 'MERGE_STUDIO_MAX_EXPANSION';
/** By default a file may expand as far as a zip record may before it counts as a bomb. */
export const DEFAULT_MAX_EXPANSION = MAX_ZIP_RATIO;
/** Any file may expand to this much, whatever its size (a small model with a broadcast buffer). */
export const EXPANSION_FLOOR_BYTES = 64 << 20;

/** The ratio in force: MERGE_STUDIO_MAX_EXPANSION when set, else the default. */
export function maxExpansionRatio(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_EXPANSION_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_EXPANSION;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 1) throw new Error(`${MAX_EXPANSION_ENV} must be a number of at least 1, got "${raw}"`);
  return ratio;
}

export function expansionLimit(fileSize: number, ratio: number): number {
  return Math.max(EXPANSION_FLOOR_BYTES, ratio * fileSize);
}

export interface Expansion {
  /** Bytes of every named tensor once contiguous (what a writer that cannot share storage writes). */
  tensorBytes: number;
  /** The largest tensor and the storage it views, for the message. */
  largest: { name: string; bytes: number; storageBytes: number } | null;
  /** Bytes inflated to read every tensor once (kept records once, others again per read). */
  inflatedBytes: number;
}

export function measureExpansion(named: NamedTensor[], sourceOf: (s: TorchStorage) => StorageBytes): Expansion {
  let tensorBytes = 0;
  let inflatedBytes = 0;
  let largest: Expansion['largest'] = null;
  const keptCounted = new Set<string>();
  for (const { name, tensor } of named) {
    const es = DTYPE_SIZE[tensor.dtype];
    const bytes = numElements(tensor.shape) * es;
    tensorBytes += bytes;
    const src = sourceOf(tensor.storage);
    if (!largest || bytes > largest.bytes) largest = { name, bytes, storageBytes: src.byteLength };
    const span = viewSpan(tensor);
    const inflation = src.inflation;
    if (!span || !inflation) continue;
    if (!inflation.kept) inflatedBytes += (span.last + 1) * es;
    else if (!keptCounted.has(tensor.storage.key)) {
      keptCounted.add(tensor.storage.key);
      inflatedBytes += inflation.bytes;
    }
  }
  return { tensorBytes, largest, inflatedBytes };
}

/** Why the file expands too far, or null; `ratio` is the limit in force. */
export function expansionProblem(fileSize: number, e: Expansion, ratio: number): string | null {
  const limit = expansionLimit(fileSize, ratio);
  const over = `over the limit of ${limit} bytes (${ratio}× its ${fileSize} bytes, at least ${EXPANSION_FLOOR_BYTES})`;
  if (e.tensorBytes > limit) {
    const big = e.largest ? `; the largest, ${e.largest.name}, is ${e.largest.bytes} bytes viewing a storage record of ${e.largest.storageBytes}` : '';
    return `its tensors would expand to ${e.tensorBytes} bytes, ${over}${big}`;
  }
  if (e.inflatedBytes > limit) {
    return `reading its tensors would inflate ${e.inflatedBytes} bytes from its compressed records, ${over}`;
  }
  return null;
}
