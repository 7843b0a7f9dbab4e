// Vega-Lite spec for interpolation curves per alignment (accuracy along α from model A to model B). Charts are
// data: the Align screen draws it; points stream into the dataset "points" as {alpha, value, alignment}.
// Accuracy is in percent throughout, as the screen's words say it: one unit on the axis and in the text.
import type { VegaLiteSpec } from './training';

export interface CurvePoint { alpha: number; value: number; alignment: string }

export function interpolationCurveSpec(title: string, yTitle = 'test accuracy (%)'): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 'container',
    height: 200,
    data: { name: 'points' },
    usermeta: { finiteFields: ['alpha', 'value'] },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'alpha', type: 'quantitative', title: 'α (0 = reference, 1 = other model)', scale: { domain: [0, 1] } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'alignment', type: 'nominal', title: 'alignment' },
    },
  };
}

/**
 * The points of a curve result ({alphas, curves: {none: {accuracy}, …}}), accuracy in percent; `names` words an
 * alignment's key for the legend (none → "naive").
 */
export function curvePoints(r: { alphas: number[]; curves: Record<string, { accuracy: number[] }> }, names: Record<string, string> = {}): CurvePoint[] {
  return Object.entries(r.curves).flatMap(([key, c]) => r.alphas.map((alpha, i) => ({ alpha, value: 100 * c.accuracy[i], alignment: names[key] ?? key })));
}
