// Draws an engine-made Vega-Lite spec with vega-embed's expression interpreter (no eval: CSP-safe),
// then streams points into its "points" dataset as they arrive.
import { useEffect, useRef } from 'react';
import embed, { type Result } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import { useTheme, type ResolvedTheme } from '../theme';

/** Axis, legend and title colours for each theme (the chart's background stays the card's). */
const CONFIG: Record<ResolvedTheme, Record<string, unknown>> = {
  light: { background: null, axis: { labelColor: '#334155', titleColor: '#334155', gridColor: '#e2e8f0', domainColor: '#94a3b8', tickColor: '#94a3b8' }, legend: { labelColor: '#334155', titleColor: '#334155' }, title: { color: '#0f172a' } },
  dark: { background: null, axis: { labelColor: '#cbd5e1', titleColor: '#cbd5e1', gridColor: '#334155', domainColor: '#64748b', tickColor: '#64748b' }, legend: { labelColor: '#cbd5e1', titleColor: '#cbd5e1' }, title: { color: '#f1f5f9' }, range: { category: ['#60a5fa', '#fbbf24', '#34d399', '#f87171', '#a78bfa', '#f472b6'] } },
};

/** `onView` receives the live vega View once drawn (PNG export, clicks on marks). */
export function VegaChart({ spec, points, label, onView }: { spec: Record<string, unknown>; points: object[]; label: string; onView?: (view: Result['view']) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const view = useRef<Result | null>(null);
  const shown = useRef(0);
  const theme = useTheme((t) => t.resolved);

  useEffect(() => {
    let live = true;
    shown.current = 0;
    void embed(el.current!, spec as never, { actions: false, ast: true, expr: expressionInterpreter, renderer: 'svg', config: CONFIG[theme] as never }).then((r) => {
      if (!live) return r.finalize();
      view.current = r;
      // Specs with inline data have no "points" dataset to stream into.
      if (hasPoints(spec)) r.view.insert('points', points).run();
      shown.current = points.length;
      onView?.(r.view);
    });
    return () => {
      live = false;
      view.current?.finalize();
      view.current = null;
    };
    // Only a new spec or theme re-embeds; points stream in through the effect below.
  }, [spec, theme]);

  useEffect(() => {
    const v = view.current;
    if (!v || !hasPoints(spec)) return;
    if (points.length < shown.current) {
      v.view.remove('points', () => true).insert('points', points).run();
    } else if (points.length > shown.current) {
      v.view.insert('points', points.slice(shown.current)).run();
    }
    shown.current = points.length;
  }, [points]);

  return <div ref={el} className="w-full" role="img" aria-label={label} data-testid={`chart-${label}`} data-points={points.length} />;
}

function hasPoints(spec: Record<string, unknown>): boolean {
  return (spec.data as { name?: string } | undefined)?.name === 'points';
}
