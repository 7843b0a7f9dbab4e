// Handlers of alignment: the layer table, and the align and interpolation-curve jobs.
import { calls } from '../api';
import { defaultWorkspace } from '../environment';
import { alignTitle, curveTitle, layerTable, runAlign, runCurve } from '../jobs/kinds/align';
import type { HandlerContext, Handlers, JobStarters } from './types';

export function alignHandlers(ctx: HandlerContext): Pick<Handlers, 'matchLayers'> {
  return {
    matchLayers: async (raw) => {
      const a = calls.matchLayers.args.parse(raw);
      return layerTable(ctx.checkPath(a.reference), a.others.map(ctx.checkPath), a.rename);
    },
  };
}

export function alignJobs(ctx: HandlerContext): Pick<JobStarters, 'align' | 'curve'> {
  const { runner, checkPath } = ctx;
  return {
    align: (p) => {
      const q = { ...p, reference: checkPath(p.reference), others: p.others.map(checkPath), ...(p.graph ? { graph: checkPath(p.graph) } : {}), ...(p.outDir ? { outDir: checkPath(p.outDir) } : {}) };
      return runner.submit('align', alignTitle(q), (job) => runAlign(q, job, { workspace: defaultWorkspace() }));
    },
    curve: (p) => {
      const q = { ...p, a: checkPath(p.a), b: checkPath(p.b), ...(p.graph ? { graph: checkPath(p.graph) } : {}) };
      return runner.submit('curve', curveTitle(q), (job) => runCurve(q, job, { workspace: defaultWorkspace() }));
    },
  };
}
