// The engine's API handlers, in-process. The host process, the CLI and the tests all call these.
// Each API family's handlers live in handlers/; this file makes the engine's state and assembles them.
import fs from 'node:fs';
import { calls, type CallName, type CallResult, type Environment, type StudioEvent } from './api';
import { defaultWorkspace } from './environment';
import type { JobRunner } from './jobs/runner';
import { stopJobs } from './jobs/shutdown';
import { describeSweep, sweepLeftovers, type SweepReport } from './workspace/leftovers';
import { createHandlerContext, createHandlers, type Handlers } from './handlers';

export type { Handlers };

export interface Engine {
  handlers: Handlers;
  runner: JobRunner;
  /** The sweep of the workspace made at start (jobs/leftovers.ts). */
  swept: Promise<SweepReport>;
  /** Allows more folders (the desktop app's native-dialog picks); not a call the UI can make. */
  allowRoots(dirs: string[]): void;
  /** Validate args against the contract, then run the handler. */
  call<K extends CallName>(name: K, args: unknown): Promise<CallResult<K>>;
  /** Before the process exits: cancels the jobs, removes their temp files, marks their runs interrupted by `cause`. */
  shutdown(cause: string, graceMs?: number): Promise<SweepReport>;
}

export interface EngineOptions {
  /** Extra folders the browser-mode file browser may use besides home. */
  roots?: string[];
}

export function createEngine(emit: (event: StudioEvent) => void, mode: Environment['mode'], options: EngineOptions = {}): Engine {
  // The workspace is the app's own folder: make it, so default output paths are usable at once.
  fs.mkdirSync(defaultWorkspace(), { recursive: true });
  // Leftovers of a process that died (kill -9, a crash): its temp files go, its runs are marked interrupted.
  const swept = sweepLeftovers({ workspace: defaultWorkspace() }).then((r) => {
    const line = describeSweep(r);
    if (line) console.error(`merge-studio engine: ${line}`);
    return r;
  });
  // made after the workspace exists: the allowed roots hold real paths
  const ctx = createHandlerContext(emit, mode, options.roots ?? []);
  const handlers = createHandlers(ctx);
  return {
    handlers,
    runner: ctx.runner,
    swept,
    allowRoots: (dirs) => { for (const d of dirs) ctx.roots.add(d); },
    call: async (name, args) => {
      const parsed = calls[name].args.parse(args ?? {});
      return handlers[name](parsed) as never;
    },
    shutdown: (cause, graceMs) => stopJobs(ctx.runner, { workspace: defaultWorkspace(), cause, graceMs }),
  };
}
