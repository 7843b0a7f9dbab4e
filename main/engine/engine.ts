// The engine's API handlers, in-process. The host process, the CLI and the tests all call these.
import { calls, type CallName, type CallResult, type Environment, type StudioEvent } from './api';
import { describeEnvironment } from './environment';
import { JobRunner } from './jobs/runner';
import { runSelftest } from './jobs/kinds/selftest';
import { browse } from './files/browse';
import { FileRoots } from './files/roots';
import { OpenModels } from './loaded/openModels';

export type Handlers = { [K in CallName]: (args: unknown) => Promise<CallResult<K>> };

export interface Engine {
  handlers: Handlers;
  runner: JobRunner;
  /** Validate args against the contract, then run the handler. */
  call<K extends CallName>(name: K, args: unknown): Promise<CallResult<K>>;
}

export interface EngineOptions {
  /** Extra folders the browser-mode file browser may use besides home. */
  roots?: string[];
}

export function createEngine(emit: (event: StudioEvent) => void, mode: Environment['mode'], options: EngineOptions = {}): Engine {
  const runner = new JobRunner(emit);
  const models = new OpenModels();
  const roots = new FileRoots(options.roots ?? []);
  // A browser chooses paths by the file browser, so its paths must lie in the allowed roots; the desktop
  // app's paths come from the native dialog or drag-and-drop and are the user's own choice.
  const checkPath = (p: string) => (mode === 'browser' ? roots.resolve(p) : p);
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
    openModel: async (raw) => models.open(checkPath(calls.openModel.args.parse(raw).path)),
    closeModel: async (raw) => ({ closed: await models.close(calls.closeModel.args.parse(raw).modelId) }),
    tensorStats: async (raw) => {
      const a = calls.tensorStats.args.parse(raw);
      return models.stats(a.modelId, a.name);
    },
    browse: async (raw) => browse(roots, calls.browse.args.parse(raw).dir),
    pickFiles: async () => ({ available: false, paths: [] }),
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
