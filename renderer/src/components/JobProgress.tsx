// A job's live progress: bar, done/total in words, time left, current item, Cancel; then its outcome (the
// result, not the last item worked on). What it says is decided in job-progress-text.ts.
import type { ReactNode } from 'react';
import type { JobSummary } from '../../../main/engine/api';
import { studio } from '../api/studio';
import { barPercent, etaText, statusLine } from './job-progress-text';

export function JobProgress({ job, outcome }: { job: JobSummary; outcome?: ReactNode }) {
  const pct = barPercent(job);
  const active = job.status === 'running' || job.status === 'queued';
  const eta = etaText(job);
  const line = job.status === 'succeeded' && outcome ? outcome : statusLine(job);
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={`job-${job.id}`} data-status={job.status}>
      <div className="mb-2 flex items-center justify-between gap-4">
        <div className="font-medium">{job.title}</div>
        <span className="text-sm text-slate-600" data-testid="job-status">{job.status}</span>
      </div>
      {/* a step of unknown size (opening files, hashing parents) has no count: an indeterminate bar */}
      <div
        className="h-3 w-full overflow-hidden rounded bg-slate-200"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={pct === null ? undefined : job.total}
        aria-valuenow={pct === null ? undefined : Math.min(job.done, job.total)}
        aria-label={`${job.title} progress`}
      >
        <div
          className={`h-full ${job.status === 'failed' ? 'bg-red-500' : 'bg-indigo-500'} ${pct === null && active ? 'animate-pulse' : ''} transition-[width]`}
          style={{ width: `${pct ?? (active ? 100 : 0)}%`, opacity: pct === null && active ? 0.35 : undefined }}
        />
      </div>
      <div className="mt-2 flex items-center justify-between gap-3 text-sm text-slate-600">
        <span data-testid="job-counts">{line}</span>
        {eta && <span data-testid="job-eta">{eta}</span>}
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
