// A small comparison result, made by hand, for the report builder's tests: three models, the most accurate
// not the first, with a merge whose parents are checkpoints and curves between two of them.
import type { CompareResult, CompareRow } from '../../../main/engine/compare/types';

function row(id: string, label: string, kind: CompareRow['kind'], accuracy: number, confusion: number[][]): CompareRow {
  return { id, kind, label, accuracy, loss: 1 - accuracy, n: 100, perClass: [accuracy, accuracy], confusion, agreement: [1, 0.9], notes: [] };
}

export function comparison(): CompareResult {
  const rows = [
    row('a', 'train 1 · epoch-002', 'model', 0.81, [[41, 9], [10, 40]]),
    row('m', 'mean of train 1 and train 2 (weight-matched, BatchNorm repaired)', 'merge', 0.93, [[47, 3], [4, 46]]),
    row('b', 'train 2 · epoch-002', 'model', 0.85, [[43, 7], [8, 42]]),
  ];
  rows[1].merge = { method: 'mean', parents: [{ role: 'model', name: 'epoch-002.safetensors' }], params: {} };
  const series = (name: string, bump: number) => ({ kind: name, name, alphas: [0, 0.5, 1], accuracy: [0.81, 0.81 - bump, 0.85], loss: [0.4, 0.4 + bump, 0.3], barrier: { loss: bump, alpha: 0.5, accuracy: bump } });
  return {
    title: 'Which merge is best',
    dataset: { spec: 'mnist:test', id: 'mnist', size: 100, numClasses: 2 },
    classes: ['zero', 'one'],
    rows,
    parents: [0, 2],
    best: { accuracy: 1, loss: 1, perClass: [1, 1] },
    checkpoints: { merge: 1, points: [{ row: 0, label: 'train 1 · epoch-002', x: 2, accuracy: 0.81 }, { row: 2, label: 'train 2 · epoch-002', x: 2, accuracy: 0.85 }], xTitle: 'epoch', mean: 0.83 },
    curves: { a: 0, b: 2, series: [series('naive interpolation between the two models', 0.3), series('weight-matched (Git Re-Basin, BatchNorm repaired)', 0.05)], errors: [] },
    note: 'The merge and the ensemble differ.',
    inputs: [],
    seconds: 1.5,
  };
}
