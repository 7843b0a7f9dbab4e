// Vega-Lite specs of the Compare screen and the reports: the same spec draws on the screen (vega-embed) and
// in an HTML report (rendered to SVG in Node). Data is inline (`data.values`) except for the live search
// chart, whose points stream into the named dataset "points".
import { emptyChartSpec, finiteRows } from './empty';
import type { VegaLiteSpec } from './training';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const pct = (x: number) => Math.round(x * 10000) / 100;

export interface CheckpointPoint { label: string; x: number; accuracy: number }

/**
 * Seed 002's chart: each checkpoint's accuracy as a point, the averaged model and the mean of the checkpoints
 * as horizontal lines.
 */
export function checkpointAverageSpec(all: CheckpointPoint[], averaged: { label: string; accuracy: number }, xTitle = 'epoch'): VegaLiteSpec {
  const points = finiteRows(all, ['x', 'accuracy']);
  if (!points.length || !Number.isFinite(averaged.accuracy)) return emptyChartSpec('Checkpoints and their average', 'No checkpoint has a measured accuracy.');
  const mean = points.reduce((s, p) => s + p.accuracy, 0) / Math.max(1, points.length);
  const lines = [
    { line: `${averaged.label}: ${pct(averaged.accuracy).toFixed(2)} %`, value: pct(averaged.accuracy), kind: 'averaged' },
    { line: `mean of checkpoints: ${pct(mean).toFixed(2)} %`, value: pct(mean), kind: 'mean' },
  ];
  const values = [...points.map((p) => pct(p.accuracy)), ...lines.map((l) => l.value)];
  const lo = Math.min(...values), hi = Math.max(...values), pad = Math.max(0.1, (hi - lo) * 0.25);
  const y = { field: 'value', type: 'quantitative', title: 'test accuracy (%)', scale: { domain: [Math.floor((lo - pad) * 10) / 10, Math.ceil((hi + pad) * 10) / 10] } };
  return {
    $schema: SCHEMA,
    title: 'Checkpoints and their average',
    width: 420,
    height: 220,
    layer: [
      {
        data: { values: points.map((p) => ({ x: p.x, value: pct(p.accuracy), label: p.label })) },
        mark: { type: 'point', filled: true, size: 80, color: '#4f46e5' },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: xTitle, axis: { tickMinStep: 1, format: '~g' }, scale: { zero: false, padding: 20 } },
          y, tooltip: [{ field: 'label', title: 'checkpoint' }, { field: 'value', title: 'accuracy (%)', format: '.2f' }],
        },
      },
      {
        data: { values: lines },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y,
          color: { field: 'line', type: 'nominal', title: null, scale: { range: ['#059669', '#94a3b8'] }, // one entry a line under the chart, at full length: beside it, or in a row, the labels were cut
          legend: { orient: 'bottom', direction: 'vertical', labelLimit: 1000 } },
          strokeDash: { field: 'kind', type: 'nominal', scale: { domain: ['averaged', 'mean'], range: [[1, 0], [6, 4]] }, legend: null },
        },
      },
    ],
  };
}

export interface CurveSeries { name: string; alphas: number[]; accuracy: number[]; loss: number[]; barrier: { loss: number; alpha: number; accuracy: number } }

/** Interpolation curves between two models, one line per curve kind (naive, aligned, …), the loss barrier marked. */
export function interpolationSpec(curves: CurveSeries[], ends: { a: string; b: string }): VegaLiteSpec {
  const rows = finiteRows(curves.flatMap((c) => c.alphas.map((alpha, i) => ({ curve: c.name, alpha, accuracy: pct(c.accuracy[i]), loss: c.loss[i] }))), ['alpha', 'accuracy', 'loss']);
  if (!rows.length) return emptyChartSpec('Interpolation between the two models', 'No point of the curves could be measured.');
  const barriers = curves.filter((c) => Number.isFinite(c.barrier.loss)).map((c) => {
    const i = c.alphas.indexOf(c.barrier.alpha);
    return { curve: c.name, alpha: c.barrier.alpha, loss: c.loss[i], label: `barrier ${c.barrier.loss.toFixed(3)}` };
  });
  const x = { field: 'alpha', type: 'quantitative', title: `α  (0 = ${ends.a}, 1 = ${ends.b})`, scale: { domain: [0, 1] } };
  // the legend under the panels, one curve a line: to the right it ran past the chart's edge and was cut
  const color = { field: 'curve', type: 'nominal', title: 'curve', legend: { orient: 'bottom', direction: 'vertical', labelLimit: 1000 } };
  const panel = (field: 'accuracy' | 'loss', title: string) => ({
    width: 300,
    height: 200,
    layer: [
      { data: { values: rows }, mark: { type: 'line', point: true }, encoding: { x, y: { field, type: 'quantitative', title, scale: { zero: false } }, color, tooltip: [{ field: 'curve' }, { field: 'alpha', format: '.2f' }, { field, format: '.4f' }] } },
      ...(field === 'loss' && barriers.length
        ? [
            { data: { values: barriers }, mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x, color } },
            { data: { values: barriers }, mark: { type: 'text', dy: -10, fontSize: 11 }, encoding: { x, y: { field: 'loss', type: 'quantitative' }, text: { field: 'label' }, color } },
          ]
        : []),
    ],
  });
  return {
    $schema: SCHEMA,
    title: 'Interpolation between the two models',
    hconcat: [panel('accuracy', 'accuracy (%)'), panel('loss', 'loss (cross-entropy)')],
  };
}

export interface GridCell { x: string; y: string; accuracy: number; label: string; id: string }

/** A grid of merges over two recipe parameters (α × method, …), coloured by accuracy; a cell's `id` says which merge. */
export function mergeGridSpec(cells: GridCell[], xTitle: string, yTitle: string): VegaLiteSpec {
  const values = finiteRows(cells.map((c) => ({ ...c, value: pct(c.accuracy) })), ['value']);
  if (!values.length) return emptyChartSpec('Merges by parameter', 'No merge of the grid has a measured accuracy.');
  // viridis runs from deep purple to pale yellow: labels are white on the deep cells, dark on the pale ones
  const lo = Math.min(...values.map((v) => v.value)), hi = Math.max(...values.map((v) => v.value));
  const inked = values.map((v) => ({ ...v, pale: hi > lo && (v.value - lo) / (hi - lo) > 0.6 }));
  const enc = { x: { field: 'x', type: 'ordinal', title: xTitle, sort: null }, y: { field: 'y', type: 'ordinal', title: yTitle, sort: null } };
  return {
    $schema: SCHEMA,
    title: 'Merges by parameter',
    data: { values: inked },
    width: { step: 56 },
    height: { step: 34 },
    layer: [
      { mark: { type: 'rect', cursor: 'pointer', style: 'heat-cell' }, encoding: { ...enc, color: { field: 'value', type: 'quantitative', title: 'accuracy (%)', scale: { scheme: 'viridis' } }, tooltip: [{ field: 'label', title: 'merge' }, { field: 'value', title: 'accuracy (%)', format: '.2f' }] } },
      { mark: { type: 'text', fontSize: 10, cursor: 'pointer' }, encoding: { ...enc, text: { field: 'value', format: '.1f' }, color: { condition: { test: 'datum.pale', value: '#0f172a' }, value: 'white' } } },
    ],
  };
}

export interface DiffRow { name: string; cosine: number; relativeL2: number }

/** Per-tensor cosine similarity and relative L2 distance between two models, tensors in file order. */
export function weightDiffSpec(all: DiffRow[], ends: { a: string; b: string }): VegaLiteSpec {
  const rows = finiteRows(all, ['cosine', 'relativeL2']);
  if (!rows.length) return emptyChartSpec(`Weights: ${ends.a} against ${ends.b}`, 'No tensor could be compared.');
  const values = rows.map((r, i) => ({ ...r, order: i }));
  const y = { field: 'name', type: 'ordinal', title: null, sort: { field: 'order' } };
  const height = { step: Math.max(8, Math.min(16, Math.floor(600 / Math.max(1, rows.length)))) };
  return {
    $schema: SCHEMA,
    title: `Weights: ${ends.a} against ${ends.b}`,
    data: { values },
    hconcat: [
      { width: 180, height, mark: 'bar', encoding: { y, x: { field: 'cosine', type: 'quantitative', title: 'cosine similarity', scale: { domain: [rows.reduce((lo, r) => Math.min(lo, r.cosine), 0), 1] } }, color: { value: '#4f46e5' }, tooltip: [{ field: 'name' }, { field: 'cosine', format: '.4f' }] } },
      { width: 180, height, mark: 'bar', encoding: { y: { ...y, axis: null }, x: { field: 'relativeL2', type: 'quantitative', title: 'relative L2 distance ‖a − b‖ / ‖a‖' }, color: { value: '#d97706' }, tooltip: [{ field: 'name' }, { field: 'relativeL2', format: '.4f' }] } },
    ],
  };
}

/** The confusion matrix of one model: rows true class, columns predicted, counts coloured. */
export function confusionSpec(matrix: number[][], classNames: string[], title: string): VegaLiteSpec {
  const name = (i: number) => classNames[i] ?? String(i);
  const values = finiteRows(matrix.flatMap((row, t) => row.map((count, p) => ({ truth: name(t), predicted: name(p), count }))), ['count']);
  if (!values.length) return emptyChartSpec(title, 'No example was classified.');
  // on the log-like colour scale, cells above a tenth of the largest count are deep blue: white labels there
  const strong = Math.max(1, ...values.map((v) => v.count)) / 10;
  const enc = { x: { field: 'predicted', type: 'ordinal', sort: null, title: 'predicted' }, y: { field: 'truth', type: 'ordinal', sort: null, title: 'true class' } };
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: { step: 28 },
    height: { step: 24 },
    layer: [
      { mark: 'rect', encoding: { ...enc, color: { field: 'count', type: 'quantitative', scale: { type: 'symlog', scheme: 'blues' }, legend: null } } },
      { mark: { type: 'text', fontSize: 9 }, encoding: { ...enc, text: { field: 'count' }, color: { condition: { test: `datum.count > ${strong}`, value: 'white' }, value: '#0f172a' } } },
    ],
  };
}

/** The search's tried points as they come in ("points": {trial, accuracy, label}), and the best so far. */
export function searchSpec(title = 'Search: held-out accuracy of each try'): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title,
    width: 420,
    height: 200,
    data: { name: 'points' },
    usermeta: { finiteFields: ['trial', 'accuracy'] },
    transform: [{ window: [{ op: 'max', field: 'accuracy', as: 'best' }], sort: [{ field: 'trial' }] }, { calculate: 'datum.accuracy * 100', as: 'pct' }, { calculate: 'datum.best * 100', as: 'bestPct' }],
    layer: [
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'trial', type: 'quantitative', title: 'try', axis: { tickMinStep: 1 } }, y: { field: 'pct', type: 'quantitative', title: 'held-out accuracy (%)', scale: { zero: false } }, tooltip: [{ field: 'label', title: 'parameters' }, { field: 'pct', title: 'accuracy (%)', format: '.2f' }] } },
      { mark: { type: 'line', interpolate: 'step-after', color: '#059669' }, encoding: { x: { field: 'trial', type: 'quantitative' }, y: { field: 'bestPct', type: 'quantitative' } } },
    ],
  };
}

/** A spec whose "points" dataset is filled in, for rendering outside a live view (reports). */
export function withPoints(spec: VegaLiteSpec, points: object[]): VegaLiteSpec {
  return { ...spec, data: { values: points } };
}
