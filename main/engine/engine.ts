// The engine's API handlers, in-process. The host process, the CLI and the tests all call these.
import { calls, type CallName, type CallResult, type Environment, type StudioEvent } from './api';
import { describeEnvironment } from './environment';
import { JobRunner } from './jobs/runner';
import { runSelftest } from './jobs/kinds/selftest';

export type Handlers = { [K in CallName]: (args: unknown) => Promise<CallResult<K>> };

export interface Engine {
  handlers: Handlers;
  runner: JobRunner;
  /** Validate args against the contract, then run the handler. */
  call<K extends CallName>(name: K, args: unknown): Promise<CallResult<K>>;
}

export function createEngine(emit: (event: StudioEvent) => void, mode: Environment['mode']): Engine {
  const runner = new JobRunner(emit);
  const handlers: Handlers = {
    getEnvironment: async () => describeEnvironment(mode),
    startJob: async (raw) => {
      const args = calls.startJob.args.parse(raw);
      switch (args.kind) {
        case 'selftest': {
          const p = args.params;
          return { jobId: runner.submit('selftest', `Self-test (${p.steps} steps)`, (ctx) => runSelftest(p, ctx)) };
        }
      }
    },
    cancelJob: async (raw) => ({ cancelled: runner.cancel(calls.cancelJob.args.parse(raw).jobId) }),
    listJobs: async () => runner.list(),
  };
  return {
    handlers,
    runner,
    call: async (name, args) => {
      const parsed = calls[name].args.parse(args ?? {});
      return handlers[name](parsed) as never;
    },
  };
}
