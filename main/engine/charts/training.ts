// Vega-Lite specs for training curves. Charts are data: the screen, reports and the CLI share them.
// Points stream into the named dataset "points" as {step, value, run, series}.

export type VegaLiteSpec = Record<string, unknown>;

export interface TrainingPoint { step: number; value: number; run: string; series: string }

/**
 * Series measured once per epoch ("test accuracy"): drawn as points joined by a line, so that even the
 * first epoch's single value has a mark, as its legend entry promises. Per-step series are plain lines.
 */
export const PER_EPOCH_SERIES = ['test accuracy'];

export function trainingCurveSpec(title: string, yTitle: string, options: { yZero?: boolean } = {}): VegaLiteSpec {
  const perEpoch = { or: PER_EPOCH_SERIES.map((s) => ({ field: 'series', equal: s })) };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 'container',
    height: 180,
    data: { name: 'points' },
    // the fields its scales read: the screen shows an empty state until one point has them (charts/empty.ts)
    usermeta: { finiteFields: ['step', 'value'] },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: options.yZero ?? false } },
      color: { field: 'series', type: 'nominal', title: null },
      strokeDash: { field: 'run', type: 'nominal', title: 'run' },
    },
    layer: [
      { transform: [{ filter: { not: perEpoch } }], mark: { type: 'line', interpolate: 'monotone', clip: true } },
      { transform: [{ filter: perEpoch }], mark: { type: 'line', clip: true, point: { filled: true, size: 60 } } },
    ],
  };
}

/** Turns one trainer metric record into chart points (loss and accuracy), or none. */
export function pointsFromTrainMetric(value: Record<string, unknown>): { loss: TrainingPoint[]; accuracy: TrainingPoint[] } {
  const run = typeof value.run === 'string' ? value.run.toUpperCase() : 'A';
  const step = Number(value.step);
  if (value.kind !== 'step' || !Number.isFinite(step)) return { loss: [], accuracy: [] };
  return {
    loss: Number.isFinite(Number(value.loss)) ? [{ step, value: Number(value.loss), run, series: 'train loss' }] : [],
    accuracy: Number.isFinite(Number(value.accuracy)) ? [{ step, value: Number(value.accuracy), run, series: 'train accuracy' }] : [],
  };
}
