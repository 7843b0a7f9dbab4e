// Handlers of the job queue: start a job of any kind (through its family's starter), cancel, list.
import { calls } from '../api';
import { checkJobDatasets } from '../jobs/kinds/datasets';
import type { HandlerContext, Handlers, JobParams, JobStarters, StartableKind } from './types';

function start<K extends StartableKind>(starters: JobStarters, kind: K, params: JobParams<K>): string {
  return starters[kind](params);
}

export function jobHandlers(ctx: HandlerContext, starters: JobStarters): Pick<Handlers, 'startJob' | 'cancelJob' | 'listJobs'> {
  return {
    startJob: async (raw) => {
      // every dataset spec a job reads passes the allowed-folders rule before the job is queued
      const args = checkJobDatasets(calls.startJob.args.parse(raw), ctx.checkPath);
      return { jobId: start(starters, args.kind, args.params) };
    },
    cancelJob: async (raw) => ({ cancelled: ctx.runner.cancel(calls.cancelJob.args.parse(raw).jobId) }),
    listJobs: async () => ctx.runner.list(),
  };
}
