// The comparison jobs: compare, soup, search, the loss plane and the demo.
import { defaultWorkspace } from '../environment';
import { runComparison } from '../compare/compare';
import { runDemo } from '../compare/demo';
import { runSearch } from '../compare/search';
import { runSoup } from '../compare/soup';
import { checkPlanePaths, planeTitle, runPlane } from '../jobs/kinds/plane';
import { checkComparePaths, checkSearchPaths, checkSoupPaths, compareTitle, searchTitle, soupTitle } from '../jobs/kinds/compare';
import type { HandlerContext, JobStarters } from './types';

export function compareJobs(ctx: HandlerContext): Pick<JobStarters, 'compare' | 'soup' | 'search' | 'plane' | 'demo'> {
  const { runner, checkPath } = ctx;
  return {
    compare: (params) => {
      const p = checkComparePaths(params, checkPath);
      return runner.submit('compare', compareTitle(p), (job) => runComparison(p, job, { workspace: defaultWorkspace() }));
    },
    soup: (params) => {
      const p = checkSoupPaths(params, checkPath);
      return runner.submit('soup', soupTitle(p), (job) => runSoup(p, job, { workspace: defaultWorkspace() }));
    },
    search: (params) => {
      const p = checkSearchPaths(params, params.baseDir ?? defaultWorkspace(), checkPath);
      return runner.submit('search', searchTitle(p), (job) => runSearch(p, job, { workspace: defaultWorkspace() }));
    },
    plane: (params) => {
      const p = checkPlanePaths(params, checkPath);
      return runner.submit('plane', planeTitle(p), (job) => runPlane(p, job, { workspace: defaultWorkspace() }));
    },
    demo: (p) => runner.submit('demo', 'Demo: train SmallCNN on MNIST and average its checkpoints', async (job) => {
      const { comparison: _c, ...r } = await runDemo({ workspace: defaultWorkspace(), ...p }, job);
      return r;
    }),
  };
}
