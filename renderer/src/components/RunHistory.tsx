// Past runs in the workspace (the engine's listRuns: a scan of runs/*/run.json), newest first; a run whose
// process was killed shows as interrupted. Each by its label (renamable here), then kind, status and time.
// Refreshed when a job ends.
import { useEffect, useState } from 'react';
import type { CallResult } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { RunLabel } from './RunLabel';

const STATUS_STYLE: Record<string, string> = {
  succeeded: 'text-emerald-800', completed: 'text-emerald-800', failed: 'text-red-700', interrupted: 'text-amber-800', cancelled: 'text-slate-600', running: 'text-indigo-700',
};
/** run.json's kinds as a person reads them. */
const KIND_LABEL: Record<string, string> = { eval: 'comparison' };

export function RunHistory({ refreshKey }: { refreshKey: string }) {
  const [runs, setRuns] = useState<CallResult<'listRuns'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    studio.listRuns({}).then(setRuns, (e: Error) => setError(e.message));
  }, [refreshKey]);
  const renamed = (r: CallResult<'renameRun'>) => setRuns((rs) => rs?.map((x) => (x.dir === r.dir ? { ...x, label: r.label } : x)) ?? null);
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid="run-history" aria-label="Past runs">
      <div className="mb-2 font-medium">Past runs</div>
      {error && <p role="alert" className="text-red-700">{error}</p>}
      {runs && runs.length === 0 && <p className="text-slate-500">No runs in the workspace yet.</p>}
      <ul className="max-h-64 space-y-2 overflow-auto">
        {runs?.slice(0, 50).map((r) => (
          <li key={r.dir} className="flex flex-wrap items-start gap-x-3" data-testid="run-history-row">
            <div className="min-w-0 flex-1"><RunLabel run={r} onRenamed={renamed} /></div>
            <span className="text-slate-600">{KIND_LABEL[r.kind] ?? r.kind}</span>
            <span className={STATUS_STYLE[r.status] ?? ''} data-testid="run-status">{r.status}</span>
            <span className="text-slate-500">{r.startedAt ? new Date(r.startedAt).toLocaleString() : ''}</span>
            {r.error && r.status !== 'succeeded' && r.status !== 'completed' && <span className="basis-full text-xs text-slate-600">{r.error}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}
