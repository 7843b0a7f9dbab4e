// Runs jobs one at a time from a queue, with progress (done/total/ETA), cooperative cancel and
// failure isolation: a job that throws is reported as failed and the runner goes on.
import type { JobKind, JobSummary, StudioEvent } from '../api';
import { CancelledError, type JobContext, type ProgressUpdate } from '../job-context';
import { EtaEstimator } from './eta';

export type JobFn = (ctx: JobContext) => Promise<unknown>;

interface JobEntry {
  summary: JobSummary;
  fn: JobFn;
  controller: AbortController;
}

/** Progress events are throttled to this interval; the final state is always sent. */
const PROGRESS_INTERVAL_MS = 100;

export class JobRunner {
  private readonly jobs = new Map<string, JobEntry>();
  private readonly queue: JobEntry[] = [];
  private running: JobEntry | null = null;
  private nextId = 1;
  private idle: Promise<void> = Promise.resolve();
  private resolveIdle: (() => void) | null = null;

  constructor(
    private readonly emit: (event: StudioEvent) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  submit(kind: JobKind, title: string, fn: JobFn): string {
    const id = `job-${this.nextId++}`;
    const entry: JobEntry = {
      summary: { id, kind, title, status: 'queued', done: 0, total: 0, etaSeconds: null },
      fn,
      controller: new AbortController(),
    };
    this.jobs.set(id, entry);
    this.queue.push(entry);
    this.publish(entry);
    if (!this.resolveIdle) this.idle = new Promise((r) => (this.resolveIdle = r));
    queueMicrotask(() => this.pump());
    return id;
  }

  cancel(id: string): boolean {
    const entry = this.jobs.get(id);
    if (!entry) return false;
    const { status } = entry.summary;
    if (status === 'queued') {
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.finish(entry, 'cancelled');
      return true;
    }
    if (status === 'running') {
      entry.controller.abort();
      return true;
    }
    return false;
  }

  /** Cancels every queued and running job (the engine is stopping). */
  cancelAll(): void {
    for (const id of [...this.jobs.keys()]) this.cancel(id);
  }

  list(): JobSummary[] {
    return [...this.jobs.values()].map((j) => ({ ...j.summary }));
  }

  get(id: string): JobSummary | undefined {
    const j = this.jobs.get(id);
    return j && { ...j.summary };
  }

  /** Resolves when the queue is empty and nothing runs (for tests and the CLI). */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  /** Resolves with the job's final summary. */
  async wait(id: string): Promise<JobSummary> {
    for (;;) {
      const s = this.get(id);
      if (!s) throw new Error(`no job ${id}`);
      if (s.status !== 'queued' && s.status !== 'running') return s;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const entry = this.queue.shift();
    if (!entry) {
      this.resolveIdle?.();
      this.resolveIdle = null;
      return;
    }
    this.running = entry;
    const s = entry.summary;
    s.status = 'running';
    s.startedAt = this.now();
    this.publish(entry);
    let lastSent = 0;
    const eta = new EtaEstimator();
    const ctx: JobContext = {
      signal: entry.controller.signal,
      progress: (u: ProgressUpdate) => {
        s.done = u.done;
        s.total = u.total;
        if (u.message !== undefined) s.message = u.message;
        if (u.unit !== undefined) s.unit = u.unit;
        if (u.label !== undefined) s.label = u.label;
        const t = this.now();
        s.etaSeconds = eta.update(t, s.done, s.total, s.unit);
        if (t - lastSent >= PROGRESS_INTERVAL_MS || u.done >= u.total) {
          lastSent = t;
          this.publish(entry);
        }
      },
      log: (message) => this.emit({ type: 'log', jobId: s.id, message }),
      metric: (name, value) => this.emit({ type: 'metric', jobId: s.id, name, value }),
    };
    try {
      const result = await entry.fn(ctx);
      if (entry.controller.signal.aborted) this.finish(entry, 'cancelled');
      else {
        s.result = result;
        this.finish(entry, 'succeeded');
      }
    } catch (err) {
      if (err instanceof CancelledError || entry.controller.signal.aborted) this.finish(entry, 'cancelled');
      else {
        s.error = err instanceof Error ? err.message : String(err);
        this.finish(entry, 'failed');
      }
    } finally {
      this.running = null;
      queueMicrotask(() => this.pump());
    }
  }

  private finish(entry: JobEntry, status: JobSummary['status']): void {
    const s = entry.summary;
    s.status = status;
    s.finishedAt = this.now();
    s.etaSeconds = status === 'succeeded' ? 0 : null;
    // A job that succeeded did all of it: its count ends full ("8/100" at the end of a greedy soup that skipped
    // tries, or of a training stopped early by design, would read as unfinished). A failure keeps where it stopped.
    if (status === 'succeeded' && s.total > 0) s.done = s.total;
    this.publish(entry);
  }

  private publish(entry: JobEntry): void {
    this.emit({ type: 'job', job: { ...entry.summary } });
  }
}
