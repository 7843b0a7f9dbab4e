// BatchNorm statistics recomputed on data (after merging weights, the running stats no longer fit):
// the training-mode forward of every BatchNormalization gives each batch's mean and unbiased variance,
// averaged over batches with equal weight — PyTorch's reset_running_stats() + momentum=None.
import * as ort from 'onnxruntime-node';
import { emitTrainingForward } from '../autodiff/differentiate';
import { probeShapes } from '../autodiff/shapes';
import type { Dataset } from '../data/types';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { GraphBuilder, floatTensor } from '../onnx/builder';
import { AttributeType, TensorDataType, type ModelProto, type NodeProto } from '../onnx/proto';
import { createSession } from '../runtime/session';

export interface BatchNormStatsOptions { batchSize?: number; threads?: number; maxExamples?: number }

/** Returns a copy of `model` whose BatchNorm running_mean / running_var are recomputed on `data`. */
export async function recomputeBatchNormStats(model: ModelProto, data: Dataset, o: BatchNormStatsOptions = {}, ctx: JobContext = silentContext()): Promise<ModelProto> {
  const g = model.graph;
  const bns = g.node.filter((n) => n.opType === 'BatchNormalization');
  if (!bns.length) return model;
  const init = new Set(g.initializer.map((t) => t.name));
  const input = g.input.find((i) => !init.has(i.name))!;
  const n = Math.min(data.size, o.maxExamples ?? data.size);
  const B = Math.min(o.batchSize ?? 256, n);
  const per = data.inputShape.reduce((a, b) => a * b, 1);
  // momentum 0 makes the lowered update emit exactly this batch's statistics
  // Dropout runs as identity here: PyTorch's update_bn forwards in train mode with dropout on, which only
  // matters for a BatchNorm after a Dropout (none in our architectures: their dropout sits in the classifier).
  const nodes: NodeProto[] = g.node.map((nd) => nd.opType === 'Dropout' ? { ...nd, opType: 'Identity', input: [nd.input[0]], output: [nd.output[0]], attribute: [] }
    : nd.opType !== 'BatchNormalization' ? nd
    : { ...nd, attribute: [...nd.attribute.filter((a) => a.name !== 'momentum'), { name: 'momentum', type: AttributeType.FLOAT, f: 0 }] });

  const statsFor = async (batch: number) => {
    const shapes = await probeShapes({ ...g, node: nodes, output: [g.output[0]] }, { [input.name]: [batch, ...data.inputShape] });
    const b = new GraphBuilder('bn_stats');
    b.reserve(shapes.keys());
    b.reserve(nodes.flatMap((x) => (x.name ? [x.name] : [])));
    for (const t of g.initializer) b.initializer(t);
    b.input(input.name, TensorDataType.FLOAT, [batch, ...data.inputShape]);
    const fwd = emitTrainingForward(b, nodes, shapes, () => { throw new Error('no per-step inputs are fed when recomputing BatchNorm statistics'); }, g.initializer);
    const names = bns.flatMap((bn) => [bn.input[3], bn.input[4]]);
    for (const s of names) b.output(fwd.stateUpdates.get(s)!);
    const { session } = await createSession(b.toModel(), { threads: o.threads });
    return { session, names, outputs: names.map((s) => fwd.stateUpdates.get(s)!) };
  };

  const sums = new Map<string, Float64Array>();
  let seen = 0, batches = 0;
  let full = await statsFor(B);
  for (let s = 0; s < n; s += B) {
    throwIfCancelled(ctx);
    const size = Math.min(B, n - s);
    if (size !== B) { await full.session.release(); full = await statsFor(size); } // the last, smaller batch
    const x = new ort.Tensor('float32', data.inputs.subarray(s * per, (s + size) * per), [size, ...data.inputShape]);
    const r = await full.session.run({ [input.name]: x });
    full.names.forEach((name, i) => {
      const v = r[full.outputs[i]].data as Float32Array;
      const acc = sums.get(name) ?? new Float64Array(v.length);
      for (let j = 0; j < v.length; j++) acc[j] += v[j];
      sums.set(name, acc);
    });
    seen += size; batches++;
    ctx.progress({ done: seen, total: n, unit: 'examples', message: 'BatchNorm statistics' });
  }
  await full.session.release();
  const replaced = new Map([...sums].map(([k, v]) => [k, floatTensor(k, Float32Array.from(v, (x) => x / batches), [v.length])]));
  return { ...model, graph: { ...g, initializer: g.initializer.map((t) => replaced.get(t.name) ?? t) } };
}
