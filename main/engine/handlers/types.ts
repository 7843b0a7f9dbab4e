// What the handler modules share: the handler table's type, the engine state they work on, and the
// job starters that startJob dispatches to.
import type { z } from 'zod';
import type { calls, CallName, CallResult, Environment } from '../api';
import type { FileRoots } from '../files/roots';
import type { JobRunner } from '../jobs/runner';
import type { OpenModels } from '../loaded/openModels';

export type Handlers = { [K in CallName]: (args: unknown) => Promise<CallResult<K>> };

/** The engine state a handler family works on. */
export interface HandlerContext {
  mode: Environment['mode'];
  runner: JobRunner;
  models: OpenModels;
  roots: FileRoots;
  /** A path from the UI, checked against the allowed roots; the CLI's paths pass as the user typed them. */
  checkPath(p: string): string;
}

type StartJobArgs = z.infer<(typeof calls)['startJob']['args']>;
export type StartableKind = StartJobArgs['kind'];
export type JobParams<K extends StartableKind> = Extract<StartJobArgs, { kind: K }>['params'];

/** One starter per job kind the UI may start: it submits the job and returns its id. */
export type JobStarters = { [K in StartableKind]: (params: JobParams<K>) => string };
