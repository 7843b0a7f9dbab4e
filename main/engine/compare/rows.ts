// The rows of a comparison's table: one per model (scored from its logits), the ensemble baseline (scored
// from the parents' averaged probabilities), and the best row of each column.
import type { Dataset } from '../data';
import { ensembleLogProbs, scoreLogits, scoreLogProbs, type EvalResult, type Predictions } from '../evaluate';
import { recipeParams } from './grid';
import type { ResolvedModel } from './models';
import type { CompareResult, CompareRow } from './types';

/** A row before its agreement columns (they need every row's predictions). */
export type ScoredRow = Omit<CompareRow, 'agreement'>;

function rowOf(id: string, kind: CompareRow['kind'], label: string, r: EvalResult, classes: number): ScoredRow {
  const perClass = Array.from({ length: classes }, (_, c) => r.per_class.find((p) => p.class === c)?.accuracy ?? NaN);
  return { id, kind, label, accuracy: r.accuracy, loss: r.loss, n: r.n, perClass, confusion: r.confusion, notes: [] };
}

/** One row per model, merges with their recipe's parameters. */
export function modelRows(models: ResolvedModel[], preds: Predictions[], data: Dataset): ScoredRow[] {
  return models.map((m, i) => {
    const r = rowOf(`m${i}`, m.merge ? 'merge' : 'model', m.label, scoreLogits(preds[i].logits, preds[i].numOutputs, data.labels, data.classNames), data.numClasses);
    r.path = m.ref.path;
    r.notes = m.notes;
    if (m.merge) r.merge = { ...m.merge, params: recipeParams(m.merge.recipeYaml) };
    return r;
  });
}

/**
 * The ensemble of `members` (the average of their predicted probabilities) as a row, with its predicted
 * class per example; `ofParents` names the members parents rather than models in a long label.
 */
export function ensembleRow(members: number[], ofParents: boolean, models: ResolvedModel[], preds: Predictions[], data: Dataset): { row: ScoredRow; predictions: Int32Array } {
  const k = data.numClasses;
  const lp = ensembleLogProbs(members.map((i) => preds[i]));
  const names = members.map((i) => models[i].label).join(' + ');
  const row = rowOf('ensemble', 'ensemble', names.length <= 48 ? `ensemble of ${names}` : `ensemble of ${members.length} ${ofParents ? 'parents' : 'models'}`, scoreLogProbs(lp, k, data.labels, data.classNames), k);
  row.members = members;
  row.notes = [`the average of the predicted probabilities (softmax) of ${names}, not a merge of their weights`];
  const predictions = new Int32Array(data.size);
  for (let e = 0; e < data.size; e++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (lp[e * k + c] > lp[e * k + best]) best = c;
    predictions[e] = best;
  }
  return { row, predictions };
}

function bestIndex(values: number[], better: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (better(values[i], values[best])) best = i;
  return best;
}

/** Per column, the best row: accuracy and per-class accuracy highest (a class a row never saw counts last), loss lowest. */
export function bestOf(rows: CompareRow[], classes: number): CompareResult['best'] {
  return {
    accuracy: bestIndex(rows.map((r) => r.accuracy), (a, b) => a > b),
    loss: bestIndex(rows.map((r) => r.loss), (a, b) => a < b),
    perClass: Array.from({ length: classes }, (_, c) => bestIndex(rows.map((r) => (Number.isNaN(r.perClass[c]) ? -1 : r.perClass[c])), (a, b) => a > b)),
  };
}
