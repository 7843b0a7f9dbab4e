// The loss plane through three models (compare/plane.ts) as Vega-Lite: accuracy and loss heatmaps over the plane's
// grid, side by side, with A, B, C and the marked merges drawn where they lie (a mark at its projection). One cell per
// grid point, centred on it, so the heatmap covers the plane as sampled; the colour of loss is on a log scale, as
// Garipov et al. plot it, since a basin's floor and its walls differ by orders of magnitude.
import { emptyChartSpec, finiteRows } from './empty';
import type { VegaLiteSpec } from './training';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface PlaneChartInput {
  xs: number[];
  ys: number[];
  accuracy: number[][];
  loss: number[][];
  points: { label: string; role: string; x: number; y: number; offPlane: number; accuracy: number; loss: number }[];
  dataset?: string;
}

/** Cell edges around each grid coordinate: halfway to the neighbours, half a step beyond the ends. */
function edges(v: number[]): [number, number][] {
  return v.map((c, i) => {
    const lo = i > 0 ? (v[i - 1] + c) / 2 : c - (v[1] - c) / 2;
    const hi = i < v.length - 1 ? (c + v[i + 1]) / 2 : c + (c - v[i - 1]) / 2;
    return [lo, hi];
  });
}

export function planeSpec(p: PlaneChartInput, title = 'Loss plane through A, B and C'): VegaLiteSpec {
  const heading = p.dataset ? `${title} (${p.dataset})` : title;
  if (p.xs.length < 2 || p.ys.length < 2) return emptyChartSpec(heading, 'The plane has no grid to draw.');
  const ex = edges(p.xs), ey = edges(p.ys);
  // a cell whose loss or accuracy is not a number (a diverged point) is left blank rather than breaking the scales;
  // the loss scale is logarithmic, so a loss that is not positive is left blank too
  const cells = finiteRows(p.ys.flatMap((y, j) => p.xs.map((x, i) => ({
    x, y, x0: ex[i][0], x1: ex[i][1], y0: ey[j][0], y1: ey[j][1],
    accuracy: Math.round(p.accuracy[j]?.[i] * 10000) / 100, loss: p.loss[j]?.[i] > 0 ? p.loss[j][i] : NaN,
  }))), ['accuracy', 'loss']);
  if (!cells.length) return emptyChartSpec(heading, 'No point of the plane could be measured.');
  const points = p.points.map((q) => ({
    ...q, accuracy: Math.round(q.accuracy * 10000) / 100,
    name: q.role === 'mark' ? `${q.label}${q.offPlane > 0 ? ` (${q.offPlane.toPrecision(2)} off the plane)` : ''}` : `${q.role}: ${q.label}`,
    tag: q.role === 'mark' ? q.label : q.role,
  }));
  const x = { field: 'x', type: 'quantitative', title: 'along B − A', scale: { domain: [ex[0][0], ex[ex.length - 1][1]], nice: false, zero: false } };
  const y = { field: 'y', type: 'quantitative', title: 'along C (orthogonal part)', scale: { domain: [ey[0][0], ey[ey.length - 1][1]], nice: false, zero: false } };
  const panel = (field: 'accuracy' | 'loss', heading: string) => ({
    width: 260,
    height: 260,
    title: heading,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect' },
        encoding: {
          x: { ...x, field: 'x0' }, x2: { field: 'x1' }, y: { ...y, field: 'y0' }, y2: { field: 'y1' },
          color: field === 'accuracy'
            ? { field, type: 'quantitative', title: 'accuracy (%)', scale: { scheme: 'viridis' } }
            : { field, type: 'quantitative', title: 'loss', scale: { type: 'log', scheme: 'magma', reverse: true } },
          tooltip: [{ field: 'x', format: '.3f' }, { field: 'y', format: '.3f' }, { field: 'accuracy', title: 'accuracy (%)', format: '.2f' }, { field: 'loss', format: '.4f' }],
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 90, stroke: 'white', strokeWidth: 1.5, opacity: 1 },
        encoding: {
          x, y,
          shape: { field: 'role', type: 'nominal', scale: { domain: ['A', 'B', 'C', 'mark'], range: ['circle', 'circle', 'circle', 'diamond'] }, legend: null },
          color: { value: '#0f172a' },
          tooltip: [{ field: 'name', title: 'model' }, { field: 'accuracy', title: 'accuracy (%)', format: '.2f' }, { field: 'loss', format: '.4f' }],
        },
      },
      // labels: a white halo under dark text, readable on light and dark cells alike
      ...['halo', 'text'].map((kind) => ({
        data: { values: points },
        mark: { type: 'text', dy: -12, fontSize: 11, fontWeight: 'bold', ...(kind === 'halo' ? { stroke: 'white', strokeWidth: 3, color: 'white' } : { color: '#0f172a' }) },
        encoding: { x, y, text: { field: 'tag' } },
      })),
    ],
  });
  return {
    $schema: SCHEMA,
    title: heading,
    hconcat: [panel('accuracy', 'accuracy (%)'), panel('loss', 'loss (cross-entropy)')],
    resolve: { scale: { color: 'independent' } },
  };
}
