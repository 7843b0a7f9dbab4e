// Seed 002's chart: a merge beside the checkpoints it averages, placed by epoch when their names carry one.
import path from 'node:path';
import { epochOf } from '../merge/recipe';
import type { ResolvedModel } from './models';
import type { CompareResult, CompareRow } from './types';

/** The chart's points for `merge` and its `parents` (indices into models and rows). */
export function checkpointsOf(merge: number, parents: number[], models: ResolvedModel[], rows: CompareRow[]): NonNullable<CompareResult['checkpoints']> {
  const epochs = parents.map((i) => epochOf(path.basename(models[i].ref.path)));
  const byEpoch = epochs.every((e) => e !== undefined) && new Set(epochs).size === epochs.length;
  return {
    merge,
    points: parents.map((i, j) => ({ row: i, label: models[i].label, x: byEpoch ? epochs[j]! : j + 1, accuracy: rows[i].accuracy })),
    xTitle: byEpoch ? 'epoch' : 'model',
    mean: parents.reduce((s, i) => s + rows[i].accuracy, 0) / parents.length,
  };
}
