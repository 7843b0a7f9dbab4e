// The merge doctor's interference heatmap: one row per layer, one column for TIES's sign-conflict rate
// (0 → 1) and one for the task vectors' cosine (−1 → 1), each cell coloured and labelled with its value.
// Points go into the dataset "points" as {layer, metric, value}.
import type { VegaLiteSpec } from './training';

export interface InterferencePoint { layer: string; metric: 'sign conflict' | 'cosine'; value: number }

export function interferencePoints(layers: { name: string; sign_conflict: number; cosine: number }[]): InterferencePoint[] {
  return layers.flatMap((l) => [
    { layer: l.name, metric: 'sign conflict' as const, value: l.sign_conflict },
    { layer: l.name, metric: 'cosine' as const, value: l.cosine },
  ]);
}

/**
 * `strong` is when a cell's colour is deep enough that its label must be white: the schemes run from a pale end
 * (or a pale middle) to deep ones, on light and dark pages alike, so the label follows the cell, not the page.
 */
function column(metric: InterferencePoint['metric'], domain: [number, number], scheme: string, format: string, strong: string): VegaLiteSpec {
  const encoding = {
    y: { field: 'layer', type: 'nominal', sort: null, title: metric === 'sign conflict' ? 'layer' : null, axis: metric === 'sign conflict' ? {} : null },
    x: { field: 'metric', type: 'nominal', title: null, axis: { labelAngle: 0, orient: 'top' } },
  };
  return {
    width: 110,
    transform: [{ filter: { field: 'metric', equal: metric } }],
    layer: [
      {
        // the cells' outline is the card's colour, set per theme (VegaChart's config, style 'heat-cell')
        mark: { type: 'rect', style: 'heat-cell' },
        encoding: {
          ...encoding,
          color: { field: 'value', type: 'quantitative', title: metric, scale: { domain, scheme }, legend: { orient: 'bottom', gradientLength: 100 } },
          tooltip: [{ field: 'layer', type: 'nominal' }, { field: 'value', type: 'quantitative', title: metric, format }],
        },
      },
      { mark: { type: 'text', fontSize: 11 }, encoding: { ...encoding, text: { field: 'value', type: 'quantitative', format }, color: { condition: { test: strong, value: 'white' }, value: '#0f172a' } } },
    ],
  };
}

export function interferenceHeatmapSpec(title = 'Interference per layer'): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { name: 'points' },
    usermeta: { finiteFields: ['value'] },
    hconcat: [column('sign conflict', [0, 1], 'orangered', '.0%', 'datum.value > 0.55'), column('cosine', [-1, 1], 'redblue', '.2f', 'abs(datum.value) > 0.55')],
    resolve: { scale: { color: 'independent' } },
    // Points arrive after the chart is drawn: the layout grows with the layer names then.
    autosize: { type: 'pad', resize: true },
    config: { view: { step: 22 } },
  };
}
