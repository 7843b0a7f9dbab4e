// Stopping the engine on a signal (serve's Ctrl-C or SIGTERM, the desktop app quitting): its jobs are
// cancelled, and what they had not tidied up within the grace period is tidied here, so that nothing is
// left for the next start's sweep: no temp file of ours, no run.json saying "running".
import { activeRuns } from '../workspace/run-owner';
import { settleOwnRuns, type SweepReport } from '../workspace/leftovers';
import type { JobRunner } from './runner';

export interface ShutdownOptions {
  workspace: string;
  /** Why, for the runs' records: "the engine was stopped (SIGTERM)". */
  cause: string;
  /** How long cancelled jobs get to stop on their own (a blocking onnxruntime call ends only when it returns). */
  graceMs?: number;
}

export async function stopJobs(runner: JobRunner, options: ShutdownOptions): Promise<SweepReport> {
  const runs = new Set(activeRuns());
  runner.cancelAll();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((r) => { timer = setTimeout(r, options.graceMs ?? 5000); });
  await Promise.race([runner.whenIdle(), grace]);
  clearTimeout(timer);
  for (const d of activeRuns()) runs.add(d); // a run made while its job was being cancelled
  return settleOwnRuns({
    workspace: options.workspace,
    runs: [...runs],
    reason: `interrupted: ${options.cause} while it ran; its partial output was removed`,
  });
}
