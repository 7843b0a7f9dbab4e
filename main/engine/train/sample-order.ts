// Which examples an epoch visits, in which order, and how they fall into steps: a seeded shuffle per epoch
// (the default), the dataset's own order (shuffle: false), or the orders of an order file; then full
// batches and, unless dropLast, one last smaller batch for the examples left over (as PyTorch's
// DataLoader with drop_last=False).
import { epochOrder } from '../data';
import { readOrderFile } from './order-file';
import type { TrainOptions } from './types';

/** The steps of an epoch: `full` batches of batchSize, then one of `tail` examples when tail > 0. */
export interface EpochSteps { full: number; tail: number; batchSize: number }

export function epochSteps(n: number, batchSize: number, dropLast: boolean): EpochSteps {
  const tail = n % batchSize;
  return { full: Math.floor(n / batchSize), tail: dropLast ? 0 : tail, batchSize };
}

export function stepsPerEpoch(s: EpochSteps): number { return s.full + (s.tail ? 1 : 0); }

/** Size and first example (in the epoch's order) of 0-based step `i`. */
export function stepBatch(s: EpochSteps, i: number): { start: number; size: number } {
  return { start: i * s.batchSize, size: i < s.full ? s.batchSize : s.tail };
}

export type SampleOrder = (epoch: number) => Int32Array;

/** The order of 1-based epoch `epoch` for a dataset of `n` examples, as the options ask. */
export async function sampleOrder(o: Pick<TrainOptions, 'shuffle' | 'orderFile' | 'seed' | 'epochs'>, n: number): Promise<SampleOrder> {
  if (o.orderFile) {
    const orders = await readOrderFile(o.orderFile, n, o.epochs);
    return (epoch) => orders[orders.length === 1 ? 0 : epoch - 1];
  }
  if (o.shuffle === false) {
    const identity = Int32Array.from({ length: n }, (_, i) => i);
    return () => identity;
  }
  return (epoch) => epochOrder(n, o.seed, epoch - 1);
}
