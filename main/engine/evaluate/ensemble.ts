// Ensembles: the average of several models' softmaxes, scored like one model (`probs`, the default). Averaging
// happens in log space (log-mean-exp of log-softmaxes), which is exact and never underflows. Or the softmax of the
// average of their logits (`logits`): what a merge of linear models computes exactly.
import { silentContext, type JobContext } from '../job-context';
import type { Dataset } from '../data/types';
import { agreementMatrix } from './agreement';
import { logSoftmax, scoreLogProbs, scoreLogits, type EvalResult } from './metrics';
import { predict, type PredictOptions, type Predictions } from './predict';
import type { ModelInput } from './session';

/** log(mean over members of softmax(logits)) per example and class. */
export function ensembleLogProbs(members: Predictions[]): Float32Array {
  if (members.length === 0) throw new Error('an ensemble needs at least one model');
  const k = members[0].numOutputs, n = members[0].n;
  for (const m of members) {
    if (m.numOutputs !== k || m.n !== n) throw new Error(`ensemble members disagree: ${m.n}×${m.numOutputs} outputs against ${n}×${k}; use models with the same classes on the same dataset`);
  }
  const logs = members.map((m) => logSoftmax(m.logits, k));
  const out = new Float32Array(n * k);
  const logM = Math.log(members.length);
  for (let i = 0; i < out.length; i++) {
    let max = -Infinity;
    for (const l of logs) if (l[i] > max) max = l[i];
    let sum = 0;
    for (const l of logs) sum += Math.exp(l[i] - max);
    out[i] = max + Math.log(sum) - logM;
  }
  return out;
}

/** The mean of the members' logits per example and class (the "ensemble of logits"; a linear model's merge gives exactly this). */
export function meanLogits(members: Predictions[]): Float32Array {
  if (members.length === 0) throw new Error('an ensemble needs at least one model');
  const n = members[0].logits.length;
  for (const m of members) if (m.logits.length !== n) throw new Error('ensemble members disagree in size; use models with the same classes on the same dataset');
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const m of members) s += m.logits[i];
    out[i] = s / members.length;
  }
  return out;
}

/** How the members' outputs are combined: the mean of their probabilities, or the mean of their logits. */
export const ENSEMBLE_COMBINES = ['probs', 'logits'] as const;
export type EnsembleCombine = (typeof ENSEMBLE_COMBINES)[number];

/** The words each combination is reported with. */
export const COMBINE_TEXT: Record<EnsembleCombine, string> = { probs: 'mean of probabilities', logits: 'mean of logits' };

export interface EnsembleResult {
  ensemble: EvalResult;
  members: EvalResult[];
  /** Pairwise agreement of the members' predictions. */
  agreement: number[][];
}

export async function evaluateEnsemble(models: ModelInput[], d: Dataset, opts: PredictOptions & { combine?: EnsembleCombine } = {}, ctx: JobContext = silentContext()): Promise<EnsembleResult> {
  const preds: Predictions[] = [];
  for (let m = 0; m < models.length; m++) {
    // Progress over all members as one bar.
    const memberCtx: JobContext = { ...ctx, signal: ctx.signal, progress: (u) => ctx.progress({ ...u, done: m * d.size + u.done, total: models.length * d.size, message: `model ${m + 1}/${models.length}: ${u.message ?? ''}` }) };
    preds.push(await predict(models[m], d, opts, memberCtx));
  }
  const k = preds[0]?.numOutputs ?? 0;
  return {
    ensemble: opts.combine === 'logits' ? scoreLogits(meanLogits(preds), k, d.labels, d.classNames) : scoreLogProbs(ensembleLogProbs(preds), k, d.labels, d.classNames),
    members: preds.map((p) => scoreLogits(p.logits, p.numOutputs, d.labels, d.classNames)),
    agreement: agreementMatrix(preds.map((p) => p.predictions)),
  };
}
