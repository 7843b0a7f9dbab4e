// A job's live progress: bar, done/total in words, ETA, current item, Cancel; then its outcome (the result,
// not the last item worked on).
import type { ReactNode } from 'react';
import type { JobSummary } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { progressText } from './format';

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return 'estimating…';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) return `about ${Math.round(seconds)} s left`;
  const m = Math.floor(seconds / 60);
  return `about ${m} min ${Math.round(seconds - m * 60)} s left`;
}

export function JobProgress({ job, outcome }: { job: JobSummary; outcome?: ReactNode }) {
  const pct = job.total > 0 ? Math.min(100, (100 * job.done) / job.total) : 0;
  const active = job.status === 'running' || job.status === 'queued';
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={`job-${job.id}`} data-status={job.status}>
      <div className="mb-2 flex items-center justify-between gap-4">
        <div className="font-medium">{job.title}</div>
        <span className="text-sm text-slate-600" data-testid="job-status">{job.status}</span>
      </div>
      <div
        className="h-3 w-full overflow-hidden rounded bg-slate-200"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={job.total}
        aria-valuenow={job.done}
        aria-label={`${job.title} progress`}
      >
        <div className={`h-full ${job.status === 'failed' ? 'bg-red-500' : 'bg-indigo-500'} transition-[width]`} style={{ width: `${pct}%` }} />
      </div>
      <div className="mt-2 flex items-center justify-between text-sm text-slate-600">
        <span data-testid="job-counts">
          {job.status === 'succeeded' ? (outcome ?? `Done · ${progressText(job)}`) : `${progressText(job)}${active && job.message ? ` · ${job.message}` : ''}`}
        </span>
        {active && <span data-testid="job-eta">{formatEta(job.etaSeconds)}</span>}
        {active && (
          <button
            type="button"
            className="rounded border border-slate-300 px-3 py-1 text-slate-700 hover:bg-slate-100"
            onClick={() => void studio.cancelJob({ jobId: job.id })}
          >
            Cancel
          </button>
        )}
      </div>
      {job.status === 'failed' && <p className="mt-2 text-sm text-red-700" role="alert">{job.error}</p>}
      {job.status === 'cancelled' && <p className="mt-2 text-sm text-slate-600">Cancelled. Nothing was left half-written.</p>}
    </div>
  );
}
