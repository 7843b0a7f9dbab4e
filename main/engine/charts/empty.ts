// What a chart draws when it has nothing to draw. Vega derives a scale's domain from the data; with no rows,
// or only NaN in a field, that extent is infinite and Vega warns on every redraw ("Infinite extent"). So a
// chart without finite values is replaced by this spec: its title and a sentence, no scale fed by data.
import type { VegaLiteSpec } from './training';

export function emptyChartSpec(title: string, message = 'Nothing to draw yet.'): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 300,
    height: 40,
    data: { values: [{ message }] },
    mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 13 },
    encoding: { text: { field: 'message' }, x: { value: 0 }, y: { value: 20 } },
    config: { view: { stroke: null } },
  };
}

/** True when at least one row has a finite number in every one of `fields`. */
export function hasFinite(rows: readonly object[], fields: readonly string[]): boolean {
  return rows.some((r) => fields.every((f) => Number.isFinite((r as Record<string, unknown>)[f])));
}

/** The rows whose `fields` are all finite numbers (a NaN point would stretch a scale to infinity). */
export function finiteRows<T extends object>(rows: readonly T[], fields: readonly string[]): T[] {
  return rows.filter((r) => fields.every((f) => Number.isFinite((r as Record<string, unknown>)[f])));
}

/** The title of a spec, as text (for the empty state that replaces it). */
export function titleOf(spec: VegaLiteSpec): string {
  const t = spec.title;
  return typeof t === 'string' ? t : typeof (t as { text?: unknown } | undefined)?.text === 'string' ? (t as { text: string }).text : '';
}

/**
 * The spec to draw for a live chart whose points stream into the dataset "points": the chart once a point
 * with finite values in the fields its scales read (`usermeta.finiteFields`) has arrived, the empty state
 * before. (The screen draws the chart again when the first such point arrives.)
 */
export function liveChartSpec(spec: VegaLiteSpec, points: readonly object[], message = 'Waiting for the first values…'): VegaLiteSpec {
  if ((spec.data as { name?: string } | undefined)?.name !== 'points') return spec;
  const fields = (spec.usermeta as { finiteFields?: string[] } | undefined)?.finiteFields ?? [];
  return points.length && hasFinite(points, fields) ? spec : emptyChartSpec(titleOf(spec), message);
}
