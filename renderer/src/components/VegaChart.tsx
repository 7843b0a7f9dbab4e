// Draws an engine-made Vega-Lite spec with vega-embed's expression interpreter (no eval: CSP-safe),
// then streams points into its "points" dataset as they arrive. A live chart with no point yet shows its
// empty state (charts/empty.ts) and is drawn once its first point arrives: a chart drawn over no data makes
// Vega warn on every redraw.
import { useEffect, useMemo, useRef } from 'react';
import embed, { type Result } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import { liveChartSpec } from '../../../main/engine/charts/empty';
import { CHART_CONFIG } from '../../../main/engine/charts/theme';
import { useTheme } from '../theme';

/** `onView` receives the live vega View once drawn (PNG export, clicks on marks). */
export function VegaChart({ spec, points, label, onView }: { spec: Record<string, unknown>; points: object[]; label: string; onView?: (view: Result['view']) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const view = useRef<Result | null>(null);
  const shown = useRef(0);
  const theme = useTheme((t) => t.resolved);
  const ready = liveChartSpec(spec, points) === spec;
  const drawn = useMemo(() => (ready ? spec : liveChartSpec(spec, [])), [spec, ready]);

  useEffect(() => {
    let live = true;
    shown.current = 0;
    void embed(el.current!, drawn as never, { actions: false, ast: true, expr: expressionInterpreter, renderer: 'svg', config: CHART_CONFIG[theme] as never }).then((r) => {
      if (!live) return r.finalize();
      view.current = r;
      // Specs with inline data (and the empty state) have no "points" dataset to stream into.
      if (hasPoints(drawn)) r.view.insert('points', points).run();
      shown.current = points.length;
      onView?.(r.view);
    });
    return () => {
      live = false;
      view.current?.finalize();
      view.current = null;
    };
    // Only a new spec, theme or the first point re-embeds; points stream in through the effect below.
  }, [drawn, theme]);

  useEffect(() => {
    const v = view.current;
    if (!v || !hasPoints(drawn)) return;
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
