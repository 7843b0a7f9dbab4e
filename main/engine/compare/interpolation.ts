// The interpolation curves between two compared models, one series per curve kind; a kind that fails is
// reported in `errors` and the others still run.
import type { Dataset } from '../data';
import { throwIfCancelled, type JobContext } from '../job-context';
import { getCurveKind, listCurveKinds } from './curves';
import type { ResolvedModel } from './models';
import type { CompareRequest, CompareResult } from './types';

export interface CurveRun {
  curve: NonNullable<CompareRequest['curve']>;
  batchSize?: number;
  threads?: number;
}

export async function curvesOf(run: CurveRun, models: ResolvedModel[], data: Dataset, ctx: JobContext, log: (m: string) => void): Promise<NonNullable<CompareResult['curves']>> {
  const { a, b } = run.curve;
  const kinds = run.curve.kinds?.map(getCurveKind) ?? listCurveKinds();
  const [na, nb] = [await models[a].net(), await models[b].net()];
  const series: NonNullable<CompareResult['curves']>['series'] = [];
  const errors: string[] = [];
  for (const kind of kinds) {
    throwIfCancelled(ctx);
    try {
      const c = await kind.compute(na, nb, data, { steps: run.curve.steps ?? 11, batchSize: run.batchSize, threads: run.threads }, { ...ctx, progress: (u) => ctx.progress({ ...u, message: `${kind.label} curve: ${u.message ?? ''}` }) });
      series.push({ kind: kind.id, name: kind.label, ...c });
      log(`${kind.label} curve from ${models[a].label} to ${models[b].label}: loss barrier ${c.barrier.loss.toFixed(4)} at α = ${c.barrier.alpha}`);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      errors.push(`${kind.label}: ${(e as Error).message}`);
    }
  }
  return { a, b, series, errors };
}
