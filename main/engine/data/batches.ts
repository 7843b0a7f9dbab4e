// Deterministic data order for training: a seeded permutation per (seed, epoch), gathered into
// example-major batches. Same seed and epoch -> same batches, on every machine.
import { exampleLength } from './make';
import { mixSeed, permutation } from './rng';
import type { Dataset } from './types';

export interface Batch {
  /** batch × prod(inputShape) values, example-major (ready for a [B, ...inputShape] tensor). */
  inputs: Float32Array;
  labels: Int32Array;
  /** Example indices in the dataset, in batch order. */
  indices: Int32Array;
  size: number;
}

export interface BatchOptions {
  /** Shuffle the order each epoch (default true); false keeps dataset order. */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** The order of examples in epoch `epoch` (0-based) for `seed`. */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return permutation(n, mixSeed(seed, epoch));
}

/** Copies the examples at `indices` into one batch. */
export function gather(d: Dataset, indices: ArrayLike<number>): Batch {
  const per = exampleLength(d);
  const inputs = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i];
    if (!(s >= 0 && s < d.size)) throw new RangeError(`gather: index ${s} outside dataset ${d.id} of ${d.size} examples`);
    inputs.set(d.inputs.subarray(s * per, (s + 1) * per), i * per);
    labels[i] = d.labels[s];
  }
  return { inputs, labels, indices: Int32Array.from(indices), size: indices.length };
}

export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** The batches of one epoch, in order. */
export function* batches(d: Dataset, batchSize: number, seed: number, epoch: number, opts: BatchOptions = {}): Generator<Batch> {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const order = opts.shuffle === false ? Int32Array.from({ length: d.size }, (_, i) => i) : epochOrder(d.size, seed, epoch);
  const count = batchCount(d.size, batchSize, opts.dropLast);
  for (let b = 0; b < count; b++) yield gather(d, order.subarray(b * batchSize, Math.min((b + 1) * batchSize, d.size)));
}
