// A job recorded as a run of the workspace: its folder made before the work starts, its outcome written
// after it whatever happens — succeeded with what the job gives for the record, failed with the error, or
// cancelled. Without a workspace the job just runs (library calls, tests).
import { CancelledError, type JobContext } from '../job-context';
import { RunFolder, type RunStart } from './run-folder';

/** What a job hands back: its result, and what its run.json adds on success (outputs, inputs with hashes, numbers). */
export interface RunOutcome<T> { result: T; record: Record<string, unknown> }

export interface AsRunOptions {
  workspace?: string;
  /** The end of the folder's name: <time>-<slug>. */
  slug: string;
  /** The job's full settings, kept as the run's recipe.yaml (JSON is YAML). */
  settings: unknown;
  start: RunStart;
}

export async function asRun<T>(o: AsRunOptions, ctx: JobContext, work: (run: RunFolder | undefined, log: (message: string) => void) => Promise<RunOutcome<T>>): Promise<T> {
  const run = o.workspace ? await RunFolder.create(o.workspace, o.slug, `${JSON.stringify(o.settings, null, 2)}\n`, o.start) : undefined;
  const log = (m: string) => { ctx.log(m); run?.log(m); };
  let outcome: RunOutcome<T>;
  try {
    outcome = await work(run, log);
  } catch (e) {
    const cancelled = ctx.signal.aborted || e instanceof CancelledError;
    // a run folder that cannot be written must not hide the error the user needs to see
    await run?.finish(cancelled ? 'cancelled' : 'failed', cancelled ? {} : { error: (e as Error).message }).catch(() => {});
    throw e;
  }
  await run?.finish('succeeded', outcome.record);
  return outcome.result;
}
