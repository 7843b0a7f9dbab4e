// What a running job sees of the job runner: progress reporting, cooperative cancel, logs.

export interface ProgressUpdate {
  done: number;
  total: number;
  /** What is being worked on now ("features.0.weight", "epoch 3/10"). */
  message?: string;
  /** Unit of done/total, for display ("bytes", "steps", "tensors"). */
  unit?: string;
  /** done/total in words, with {done} and {total} where the numbers go ("read {done} of {total} from 3 inputs"). */
  label?: string;
}

export interface JobContext {
  /** Aborted when the user cancels; long loops check `signal.aborted` (or call throwIfCancelled). */
  readonly signal: AbortSignal;
  progress(update: ProgressUpdate): void;
  log(message: string): void;
  /** Structured data for live charts (training metrics, curve points). */
  metric(name: string, value: Record<string, unknown>): void;
}

export class CancelledError extends Error {
  constructor() { super('cancelled'); this.name = 'CancelledError'; }
}

export function throwIfCancelled(ctx: Pick<JobContext, 'signal'>): void {
  if (ctx.signal.aborted) throw new CancelledError();
}

/** A context that reports nowhere, for tests and in-process callers that do not watch progress. */
export function silentContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { signal, progress: () => {}, log: () => {}, metric: () => {} };
}
