// One chart in a card: its title, the chart, a PNG export (rendered by vega in the browser's canvas from the
// same spec: no native rasteriser needed), and an optional click on a mark (`onPick` gets its datum).
import { useCallback, useRef, useState } from 'react';
import type { Result } from 'vega-embed';
import { downloadUrl } from './download';
import { VegaChart } from './VegaChart';

const NO_POINTS: object[] = [];

export function ChartCard({ id, title, spec, points = NO_POINTS, onPick, fileName }: {
  id: string; title: string; spec: Record<string, unknown>; points?: object[]; onPick?: (datum: Record<string, unknown>) => void; fileName?: string;
}) {
  const view = useRef<Result['view'] | null>(null);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const onView = useCallback((v: Result['view']) => {
    view.current = v;
    setReady(true);
    if (onPick) v.addEventListener('click', (_e, item) => { const d = (item as { datum?: Record<string, unknown> } | null)?.datum; if (d) onPick(d); });
  }, [onPick]);
  async function png() {
    setError(null);
    try { downloadUrl(`${fileName ?? id}.png`, await view.current!.toImageURL('png', 2)); } catch (e) { setError((e as Error).message); }
  }
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-3" data-testid={`chart-card-${id}`}>
      {/* The spec draws its own title; the caption names the chart for assistive technology and holds the export. */}
      <figcaption className="mb-1 flex items-center justify-end gap-2">
        <span className="sr-only">{title}</span>
        <button type="button" disabled={!ready} onClick={() => void png()} className="rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-100 disabled:opacity-40" aria-label={`Save ${title} as PNG`}>PNG</button>
      </figcaption>
      <div className="overflow-x-auto"><VegaChart spec={spec} points={points} label={id} onView={onView} /></div>
      {error && <p role="alert" className="text-sm text-red-700">{error}</p>}
    </figure>
  );
}
