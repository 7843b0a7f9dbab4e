// A JobContext for the terminal: a progress bar on stderr (plain lines when not a TTY), Ctrl-C cancels.
import { CancelledError, type JobContext, type ProgressUpdate } from '../engine/job-context';
import { EtaEstimator } from '../engine/jobs/eta';
import { CliError } from './common';
import { terminalSafe } from './terminal-text';

export interface TerminalJob {
  ctx: JobContext;
  done(): void;
}

function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** A log line that reports a problem (a warning, a failure, a fallback): `--quiet` still prints these. */
export function reportsProblem(line: string): boolean {
  return /^(?:run [A-Z]: )?(?:warning|error)\b/i.test(line) || /\b(?:could not|cannot|failed|not available|running on cpu)\b/i.test(line);
}

/** `quiet` silences the bar and the log lines that only say how the job goes; problems and errors still print. */
export function terminalJob(label: string, quiet = false): TerminalJob {
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ncancelling…\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const eta = new EtaEstimator();
  const tty = process.stderr.isTTY === true;
  let lastDraw = 0;
  let lastPct = -1;
  const draw = (u: ProgressUpdate) => {
    if (quiet) return;
    const now = Date.now();
    // total 0: a step whose size is not known (opening files, hashing parents): its words, no count
    const counted = u.total > 0;
    const final = counted && u.done >= u.total;
    // measured on every update, drawn or not; none until it is measurable (engine/jobs/eta.ts)
    const left = eta.update(now, u.done, u.total, u.unit);
    if (!final && now - lastDraw < (tty ? 100 : 2000)) return;
    lastDraw = now;
    const frac = counted ? Math.min(1, u.done / u.total) : 0;
    const amount = u.unit === 'bytes' ? `${formatBytes(u.done)}/${formatBytes(u.total)}` : `${u.done}/${u.total}`;
    // the message is often a tensor name from the file: escaped, it cannot move the cursor or start a line
    const message = terminalSafe(u.message ?? '');
    const tail = counted
      ? `${(frac * 100).toFixed(0).padStart(3)}% ${amount} ${left !== null && !final ? `ETA ${left.toFixed(0)}s` : ''} ${message}`
      : `${message || '…'}`;
    if (tty) {
      const width = 28;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      process.stderr.write(`\r${label} ${bar} ${tail}`.slice(0, (process.stderr.columns ?? 120) - 1).padEnd(Math.min(120, (process.stderr.columns ?? 120) - 1)));
    } else {
      const pct = counted ? Math.floor(frac * 10) : -2;
      if (pct !== lastPct || final) { lastPct = pct; process.stderr.write(`${label} ${tail}\n`); }
    }
  };
  const ctx: JobContext = {
    signal: controller.signal,
    progress: draw,
    log: (m) => { if (!quiet || reportsProblem(m)) process.stderr.write(`${tty && !quiet ? '\n' : ''}${terminalSafe(m, { keepLines: true })}\n`); },
    metric: () => {},
  };
  return {
    ctx,
    done: () => {
      process.off('SIGINT', onSigint);
      if (tty && !quiet) process.stderr.write('\n');
    },
  };
}

export function isCancelled(err: unknown): boolean {
  return err instanceof CancelledError;
}

/** Runs `fn` with a terminal progress bar; Ctrl-C ends it as exit code 130 with `cancelledMessage`. */
export async function inTerminal<T>(label: string, quiet: boolean, cancelledMessage: string, fn: (ctx: JobContext) => Promise<T>): Promise<T> {
  const job = terminalJob(label, quiet);
  try {
    return await fn(job.ctx);
  } catch (err) {
    if (isCancelled(err)) throw new CliError(cancelledMessage, 130);
    throw err;
  } finally {
    job.done();
  }
}
