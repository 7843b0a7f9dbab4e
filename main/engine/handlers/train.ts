// Handlers of training: the Train screen's choices, and the self-test, train and train-pair jobs.
import { architectureInfo } from '../models/registry';
import { listDatasets, listTasks } from '../data';
import { runSelftest } from '../jobs/kinds/selftest';
import { runTrain, runTrainPair, trainTitle } from '../jobs/kinds/train';
import type { HandlerContext, Handlers, JobStarters } from './types';

export function trainHandlers(): Pick<Handlers, 'trainingChoices'> {
  return {
    trainingChoices: async () => ({ architectures: architectureInfo(), datasets: listDatasets(), tasks: listTasks() }),
  };
}

export function trainJobs(ctx: HandlerContext): Pick<JobStarters, 'selftest' | 'train' | 'train-pair'> {
  const { runner, checkPath } = ctx;
  const checkTrainPaths = <T extends { outDir: string; initFrom?: string; modelFile?: string }>(r: T): T => ({
    ...r,
    outDir: checkPath(r.outDir),
    ...(r.initFrom ? { initFrom: checkPath(r.initFrom) } : {}),
    ...(r.modelFile ? { modelFile: checkPath(r.modelFile) } : {}),
  });
  return {
    selftest: (p) => runner.submit('selftest', `Self-test (${p.steps} steps)`, (job) => runSelftest(p, job)),
    train: (params) => {
      const p = checkTrainPaths(params);
      return runner.submit('train', trainTitle(p), (job) => runTrain(p, job));
    },
    'train-pair': (params) => {
      const p = { ...params, a: checkTrainPaths(params.a), b: checkTrainPaths(params.b) };
      return runner.submit('train-pair', `Pair: ${trainTitle(p.a)} + ${p.b.dataset}`, (job) => runTrainPair(p, job));
    },
  };
}
