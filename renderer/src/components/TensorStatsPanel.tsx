// Statistics of one tensor, computed by the engine when asked (reads just that tensor).
import { useEffect, useState } from 'react';
import type { TensorStatsResult } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { formatCount, formatNumber } from './format';

export function TensorStatsPanel({ modelId, name }: { modelId: string; name: string }) {
  const [stats, setStats] = useState<TensorStatsResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setStats(null);
    setError(null);
    studio.tensorStats({ modelId, name }).then((s) => live && setStats(s), (e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [modelId, name]);
  // One label and one value per row, values right-aligned in tabular figures: any number fits the card
  // (formatNumber keeps six significant digits, exponent form outside 1e-3…1e4; the full value is the title).
  const row = (label: string, value: number | null, testId?: string, count = false, bad = false) => (
    <div className="flex items-baseline justify-between gap-3 border-t border-slate-100 py-0.5 first:border-t-0">
      <dt className="text-slate-600">{label}</dt>
      <dd data-testid={testId} title={value === null ? undefined : String(value)}
        className={`min-w-0 truncate text-right font-mono tabular-nums ${bad ? 'font-semibold text-red-700' : ''}`}>
        {count ? formatCount(value ?? 0) : formatNumber(value)}
      </dd>
    </div>
  );
  return (
    <div className="min-w-0 rounded-lg border border-slate-200 bg-white p-4 text-sm" aria-label="Tensor statistics" data-testid="tensor-stats">
      <div className="mb-2 break-all font-mono font-medium">{name}</div>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {!stats && !error && <p className="text-slate-600">Computing…</p>}
      {stats && (
        <dl>
          {row('min', stats.min, 'stat-min')}
          {row('max', stats.max, 'stat-max')}
          {row('mean', stats.mean, 'stat-mean')}
          {row('std', stats.std, 'stat-std')}
          {row('elements', stats.count, 'stat-count', true)}
          {row('zeros', stats.zeros, 'stat-zeros', true)}
          {row('NaN', stats.nan, 'stat-nan', true, stats.nan > 0)}
          {row('Inf', stats.inf, 'stat-inf', true, stats.inf > 0)}
        </dl>
      )}
    </div>
  );
}
