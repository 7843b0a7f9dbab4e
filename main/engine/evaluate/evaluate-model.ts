// Accuracy, loss, per-class accuracy and confusion of one ONNX model on one dataset.
import { silentContext, type JobContext } from '../job-context';
import type { Dataset } from '../data/types';
import { scoreLogits, type EvalResult } from './metrics';
import { predict, type PredictOptions } from './predict';
import type { ModelInput } from './session';

export async function evaluateModel(model: ModelInput, d: Dataset, opts: PredictOptions = {}, ctx: JobContext = silentContext()): Promise<EvalResult> {
  const p = await predict(model, d, opts, ctx);
  if (p.n === 0) return { accuracy: 0, loss: 0, n: 0, per_class: [], confusion: [] };
  return scoreLogits(p.logits, p.numOutputs, d.labels, d.classNames);
}
