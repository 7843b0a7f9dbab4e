// Vega-Lite specs for training curves. Charts are data: the screen, reports and the CLI share them.
// Points stream into the named dataset "points" as {step, value, run, series}.

export type VegaLiteSpec = Record<string, unknown>;

export interface TrainingPoint { step: number; value: number; run: string; series: string }

export function trainingCurveSpec(title: string, yTitle: string, options: { yZero?: boolean } = {}): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 'container',
    height: 180,
    data: { name: 'points' },
    mark: { type: 'line', interpolate: 'monotone', clip: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: options.yZero ?? false } },
      color: { field: 'series', type: 'nominal', title: null },
      strokeDash: { field: 'run', type: 'nominal', title: 'run' },
    },
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
