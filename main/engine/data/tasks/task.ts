// A derived task turns one dataset into another (a class subset, a rotation, ...), deterministically.
// Written in a spec as "?task=NAME" or "?task=NAME:ARGS"; several apply in order.
import { DatasetError } from '../errors';
import type { Dataset } from '../types';

export interface DatasetTask {
  name: string;
  summary: string;
  usage: string;
  /** Returns a new dataset (never mutates `d`); `id` is the id to give it. */
  apply(d: Dataset, args: string, id: string): Dataset;
}

/** Images only: [C, H, W]. */
export function requireImage(d: Dataset, task: string): [number, number, number] {
  if (d.inputShape.length !== 3) {
    throw new DatasetError(d.id, `task "${task}" needs images ([C, H, W]) but examples have shape [${d.inputShape}]`, 'Use it on an image dataset (mnist, idx, imagefolder)');
  }
  return d.inputShape as [number, number, number];
}
