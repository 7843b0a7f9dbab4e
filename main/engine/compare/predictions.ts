// Every compared model run over the dataset, one after another, with progress over all of them.
import type { Dataset } from '../data';
import { predict, type Predictions } from '../evaluate';
import { throwIfCancelled, type JobContext } from '../job-context';
import { checkClasses, type ResolvedModel } from './models';

export interface PredictAllOptions { batchSize?: number; threads?: number }

/** Each model's predictions on `data`; a model whose outputs do not fit the classes stops the comparison. */
export async function predictAll(models: ResolvedModel[], data: Dataset, o: PredictAllOptions, ctx: JobContext, log: (m: string) => void): Promise<Predictions[]> {
  const sessionOptions = o.threads ? { intraOpNumThreads: o.threads } : undefined;
  const preds: Predictions[] = [];
  for (const [i, m] of models.entries()) {
    throwIfCancelled(ctx);
    const sub: JobContext = { ...ctx, progress: (u) => ctx.progress({ ...u, done: i * data.size + u.done, total: models.length * data.size, unit: 'examples', message: `${m.label}: ${u.message ?? ''}` }) };
    const p = await predict(m.model, data, { batchSize: o.batchSize, sessionOptions }, sub);
    checkClasses(m.label, p.numOutputs, data);
    preds.push(p);
    for (const note of m.notes) log(`${m.label}: ${note}`);
  }
  return preds;
}
