// What a job's progress says, in words, and which jobs a screen shows: pure, so that the rules are tested
// without a browser. The rules: counts match (a finished job shows its real final count; a step of unknown
// size, total 0, shows its words and no count), time left only once the engine could measure it (the engine's
// estimator, jobs/eta.ts, sends null until then), and a card belongs to its job: a newer job replaces it.
import type { JobSummary } from '../../../main/engine/api';
import { formatBytes } from './format';

type Progress = Pick<JobSummary, 'status' | 'done' | 'total' | 'unit' | 'label' | 'message'>;

const active = (status: JobSummary['status']) => status === 'running' || status === 'queued';

function amount(job: Progress, n: number): string {
  return job.unit === 'bytes' ? formatBytes(n) : n.toLocaleString('en');
}

/** done/total in words ("read 12.0 MB of 37.0 MB from 3 inputs", "12 / 40"); null for a step of unknown size. */
export function countText(job: Progress): string | null {
  if (job.total <= 0) return null;
  const done = Math.min(job.done, job.total);
  if (job.label) return job.label.replace('{done}', amount(job, done)).replace('{total}', amount(job, job.total));
  return `${amount(job, done)} / ${amount(job, job.total)}`;
}

/** The line under the bar: while running, the count and what is being worked on; once over, what came of it. */
export function statusLine(job: Progress): string {
  const count = countText(job);
  if (job.status === 'succeeded') return count ? `Done · ${count}` : 'Done';
  if (job.status === 'queued') return 'Waiting for the job before it to finish';
  if (job.status === 'running') {
    const words = [count, job.message].filter((w): w is string => !!w);
    return words.length ? words.join(' · ') : 'Starting…';
  }
  // failed or cancelled: where it stopped, when that can be counted
  return count ? `Stopped at ${count}` : '';
}

/** Time left, or null when nothing should be said (not running, or a step of unknown size). */
export function etaText(job: Progress & { etaSeconds: number | null }): string | null {
  if (job.status !== 'running' || job.total <= 0) return null;
  const s = job.etaSeconds;
  if (s === null || !Number.isFinite(s) || s < 0) return 'estimating time left…';
  if (s < 1) return 'less than a second left';
  if (s < 90) return `about ${Math.round(s)} s left`;
  if (s < 3600) {
    const m = Math.floor(s / 60), rest = Math.round(s - 60 * m);
    return rest ? `about ${m} min ${rest} s left` : `about ${m} min left`;
  }
  const h = Math.floor(s / 3600), m = Math.round((s - 3600 * h) / 60);
  return m ? `about ${h} h ${m} min left` : `about ${h} h left`;
}

/** The share of the bar to fill, 0–100; null when the size is unknown (an indeterminate bar). */
export function barPercent(job: Progress): number | null {
  if (job.status === 'succeeded') return 100;
  if (job.total <= 0) return null;
  return Math.max(0, Math.min(100, (100 * job.done) / job.total));
}

/** The order in which the engine numbered its jobs (ids are job-<n>). */
export function jobNumber(id: string): number {
  const n = Number(/(\d+)$/.exec(id)?.[1]);
  return Number.isFinite(n) ? n : -1;
}

/**
 * The jobs of one kind a screen shows as cards, newest first: the newest, and older ones only while they still
 * run or wait. A finished job's card (its success or failure) goes as soon as a newer job of its kind exists,
 * so a success never stands beside, or below, a later failure as if it were the current result.
 */
export function currentJobs<J extends Pick<JobSummary, 'id' | 'kind' | 'status'>>(jobs: readonly J[], kind: JobSummary['kind']): J[] {
  const mine = jobs.filter((j) => j.kind === kind).sort((a, b) => jobNumber(b.id) - jobNumber(a.id));
  return mine.filter((j, i) => i === 0 || active(j.status));
}
