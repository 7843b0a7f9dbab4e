// The charts of a comparison, from its result: one list for the Compare screen and the HTML report, so both
// show the same charts. Pure (no Node modules): the renderer imports it.
import { checkpointAverageSpec, confusionSpec, interpolationSpec, mergeGridSpec, weightDiffSpec } from '../charts/compare';
import type { VegaLiteSpec } from '../charts/training';
import type { CompareResult } from './types';

export interface NamedChart { id: 'checkpoints' | 'curves' | 'grid' | 'diff' | 'confusion'; title: string; spec: VegaLiteSpec }

export function chartsOf(r: CompareResult, grid?: { x: string; y: string }): NamedChart[] {
  const out: NamedChart[] = [];
  const label = (i: number) => r.rows[i]?.label ?? `model ${i + 1}`;
  if (r.checkpoints) {
    const m = r.rows[r.checkpoints.merge];
    out.push({ id: 'checkpoints', title: 'Checkpoints and their average', spec: checkpointAverageSpec(r.checkpoints.points, { label: m.label, accuracy: m.accuracy }, r.checkpoints.xTitle) });
  }
  if (r.curves && r.curves.series.length) {
    out.push({ id: 'curves', title: 'Interpolation curves', spec: interpolationSpec(r.curves.series, { a: label(r.curves.a), b: label(r.curves.b) }) });
  }
  if (r.grid) {
    const x = grid?.x ?? r.grid.x, y = grid?.y ?? r.grid.y;
    const cells = r.grid.cells.map((c) => {
      const p = r.rows[c.row].merge?.params ?? {};
      return { x: p[x] ?? '—', y: y ? (p[y] ?? '—') : '', accuracy: c.accuracy, label: c.label, id: r.rows[c.row].id };
    });
    out.push({ id: 'grid', title: 'Merges by parameter', spec: mergeGridSpec(cells, x, y || ' ') });
  }
  if (r.diff && r.diff.tensors.length) {
    out.push({ id: 'diff', title: 'Per-layer weight differences', spec: weightDiffSpec(r.diff.tensors, { a: label(r.diff.a), b: label(r.diff.b) }) });
  }
  return out;
}

/** The row with the highest accuracy (the first of equals; a row not measured, NaN, never wins). */
export function mostAccurate(r: CompareResult): number {
  let best = 0;
  r.rows.forEach((row, i) => { if (Number.isFinite(row.accuracy) && !(row.accuracy <= r.rows[best].accuracy)) best = i; });
  return best;
}

/** The confusion matrix of one row. */
export function confusionOf(r: CompareResult, row: number): NamedChart {
  return { id: 'confusion', title: `Confusion: ${r.rows[row].label}`, spec: confusionSpec(r.rows[row].confusion, r.classes, `Confusion matrix: ${r.rows[row].label} on ${r.dataset.spec}`) };
}

/** The comparison table as CSV (RFC 4180): one row per model, accuracy and loss, per-class accuracy, agreement with each parent. */
export function compareCsv(r: CompareResult): string {
  const q = (v: string | number | undefined) => {
    const s = v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ['model', 'kind', 'path', 'sha256', 'accuracy', 'loss', 'n', ...r.classes.map((c) => `accuracy class ${c}`), ...r.parents.map((p) => `agreement with ${r.rows[p].label}`)];
  const lines = r.rows.map((row) => [row.label, row.kind, row.path, row.sha256, row.accuracy, row.loss, row.n, ...row.perClass, ...row.agreement].map(q).join(','));
  return `${[head.map(q).join(','), ...lines].join('\r\n')}\r\n`;
}
