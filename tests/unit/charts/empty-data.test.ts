// Every chart the app draws, given no data or only NaN, renders through Vega without a warning: Vega's
// "Infinite extent" warnings came by the hundred from charts drawn before their first point or over NaN.
import { describe, expect, it } from 'vitest';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { checkpointAverageSpec, confusionSpec, interpolationSpec, mergeGridSpec, searchSpec, weightDiffSpec } from '../../../main/engine/charts/compare';
import { interferenceHeatmapSpec } from '../../../main/engine/charts/doctor';
import { liveChartSpec } from '../../../main/engine/charts/empty';
import { planeSpec } from '../../../main/engine/charts/plane';
import { trainingCurveSpec, type VegaLiteSpec } from '../../../main/engine/charts/training';
import { interpolationCurveSpec } from '../../../main/engine/charts/alignment';

/** Renders the spec headless and returns what Vega logged as a warning or an error. */
async function logged(spec: VegaLiteSpec): Promise<string[]> {
  const out: string[] = [];
  const logger = {
    level() { return this; },
    error: (...a: unknown[]) => void out.push(`error: ${a.join(' ')}`),
    warn: (...a: unknown[]) => void out.push(`warn: ${a.join(' ')}`),
    info() { return this; },
    debug() { return this; },
  };
  const view = new vega.View(vega.parse(compile({ ...spec, ...(spec.width === 'container' ? { width: 300 } : {}) } as never).spec), { renderer: 'none', logger } as never);
  try {
    await view.runAsync();
    const svg = await view.toSVG();
    expect(svg).toContain('<svg');
  } finally {
    view.finalize();
  }
  return out;
}

const NaNs = [NaN, NaN, NaN];

const inline: Record<string, VegaLiteSpec> = {
  'checkpoints, none': checkpointAverageSpec([], { label: 'average', accuracy: 0.9 }),
  'checkpoints, NaN': checkpointAverageSpec([{ label: 'e1', x: 1, accuracy: NaN }], { label: 'average', accuracy: NaN }),
  'curves, none': interpolationSpec([], { a: 'A', b: 'B' }),
  'curves, NaN': interpolationSpec([{ name: 'naive', alphas: [0, 0.5, 1], accuracy: NaNs, loss: NaNs, barrier: { loss: NaN, alpha: 0.5, accuracy: NaN } }], { a: 'A', b: 'B' }),
  'grid, none': mergeGridSpec([], 'alpha', 'method'),
  'grid, NaN': mergeGridSpec([{ x: '0.5', y: 'ties', accuracy: NaN, label: 'm', id: 'm' }], 'alpha', 'method'),
  'weight diff, none': weightDiffSpec([], { a: 'A', b: 'B' }),
  'weight diff, NaN': weightDiffSpec([{ name: 'fc.weight', cosine: NaN, relativeL2: NaN }], { a: 'A', b: 'B' }),
  'confusion, none': confusionSpec([], [], 'Confusion'),
  'plane, NaN': planeSpec({ xs: [0, 1], ys: [0, 1], accuracy: [[NaN, NaN], [NaN, NaN]], loss: [[NaN, NaN], [NaN, NaN]], points: [] }),
  'plane, no grid': planeSpec({ xs: [], ys: [], accuracy: [], loss: [], points: [] }),
};

const live: Record<string, VegaLiteSpec> = {
  search: searchSpec(),
  training: trainingCurveSpec('Loss', 'loss'),
  alignment: interpolationCurveSpec('Curve'),
  interference: interferenceHeatmapSpec(),
};

describe('charts with nothing to draw', () => {
  for (const [name, spec] of Object.entries(inline)) {
    it(`${name}: renders without a Vega warning`, async () => {
      expect(await logged(spec)).toEqual([]);
    });
  }
  for (const [name, spec] of Object.entries(live)) {
    it(`${name} before its first point: renders without a Vega warning`, async () => {
      expect(await logged(liveChartSpec(spec, []))).toEqual([]);
    });
    it(`${name} with only NaN points: renders without a Vega warning`, async () => {
      const points = [{ step: NaN, value: NaN, alpha: NaN, trial: NaN, accuracy: NaN, run: 'A', series: 'train loss', alignment: 'none', layer: 'fc', metric: 'cosine', label: 'x' }];
      expect(await logged(liveChartSpec(spec, points))).toEqual([]);
    });
  }

  it('a live chart is drawn as itself once a finite point has arrived', () => {
    const spec = searchSpec();
    expect(liveChartSpec(spec, [{ trial: 1, accuracy: 0.9, label: 'α 0.5' }])).toBe(spec);
    expect(liveChartSpec(spec, [])).not.toBe(spec);
  });

  it('the same charts with data still draw their marks (the empty state is only for no data)', async () => {
    const svg = await (await import('../../../main/engine/charts/svg')).chartSvg(mergeGridSpec([{ x: '0.5', y: 'ties', accuracy: 0.9, label: 'm', id: 'm' }, { x: '0.7', y: 'ties', accuracy: NaN, label: 'n', id: 'n' }], 'alpha', 'method'));
    expect(svg).toContain('90.0');
    expect(svg).not.toContain('No merge of the grid');
  });
});
