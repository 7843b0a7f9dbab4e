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
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 text-sm" aria-label="Tensor statistics" data-testid="tensor-stats">
      <div className="mb-2 font-mono font-medium">{name}</div>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {!stats && !error && <p className="text-slate-500">Computing…</p>}
      {stats && (
        <dl className="grid grid-cols-4 gap-x-4 gap-y-1">
          <dt className="text-slate-500">min</dt><dd data-testid="stat-min">{formatNumber(stats.min)}</dd>
          <dt className="text-slate-500">max</dt><dd data-testid="stat-max">{formatNumber(stats.max)}</dd>
          <dt className="text-slate-500">mean</dt><dd data-testid="stat-mean">{formatNumber(stats.mean)}</dd>
          <dt className="text-slate-500">std</dt><dd data-testid="stat-std">{formatNumber(stats.std)}</dd>
          <dt className="text-slate-500">elements</dt><dd>{formatCount(stats.count)}</dd>
          <dt className="text-slate-500">zeros</dt><dd data-testid="stat-zeros">{formatCount(stats.zeros)}</dd>
          <dt className="text-slate-500">NaN</dt><dd data-testid="stat-nan" className={stats.nan ? 'font-semibold text-red-700' : ''}>{formatCount(stats.nan)}</dd>
          <dt className="text-slate-500">Inf</dt><dd data-testid="stat-inf" className={stats.inf ? 'font-semibold text-red-700' : ''}>{formatCount(stats.inf)}</dd>
        </dl>
      )}
    </div>
  );
}
