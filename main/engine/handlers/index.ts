// Every handler of the API, assembled from the families; the table's type makes a missing call a compile error.
import { alignHandlers, alignJobs } from './align';
import { compareJobs } from './compare';
import { doctorJobs } from './doctor';
import { environmentHandlers } from './environment';
import { historyHandlers } from './history';
import { jobHandlers } from './jobs';
import { mergeHandlers, mergeJobs } from './merge';
import { modelNameHandlers } from './model-names';
import { modelHandlers } from './models';
import { trainHandlers, trainJobs } from './train';
import type { HandlerContext, Handlers, JobStarters } from './types';
import { uiStateHandlers } from './ui-state';

export { createHandlerContext } from './context';
export type { HandlerContext, Handlers } from './types';

export function createHandlers(ctx: HandlerContext): Handlers {
  const starters: JobStarters = { ...trainJobs(ctx), ...mergeJobs(ctx), ...alignJobs(ctx), ...compareJobs(ctx), ...doctorJobs(ctx) };
  return {
    ...environmentHandlers(ctx),
    ...jobHandlers(ctx, starters),
    ...modelHandlers(ctx),
    ...mergeHandlers(ctx),
    ...alignHandlers(ctx),
    ...trainHandlers(),
    ...historyHandlers(),
    ...modelNameHandlers(ctx),
    ...uiStateHandlers(),
  };
}
