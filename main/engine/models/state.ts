// Initial weights from a seeded RNG, and the runnable inference ModelProto (graph + weights).
import { buildModel, floatTensor, int64Tensor, valueInfo } from '../onnx/builder';
import { TensorDataType, type ModelProto } from '../onnx/proto';
import { Rng } from './rng';
import type { ArchitectureGraph, StateDict } from './types';

export function initialState(g: ArchitectureGraph, seed: number): StateDict {
  const rng = new Rng(seed);
  const state: StateDict = new Map();
  for (const t of g.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.dtype === 'i64') { state.set(t.name, { shape: t.shape, data: new BigInt64Array(n) }); continue; }
    const data = new Float32Array(n);
    if (t.init.kind === 'const') data.fill(t.init.value);
    else for (let i = 0; i < n; i++) data[i] = rng.uniform(-t.init.bound, t.init.bound);
    state.set(t.name, { shape: t.shape, data });
  }
  return state;
}

/** The inference model: graph input N×inputShape, output N×classes, every state tensor the graph uses. */
export function inferenceModel(g: ArchitectureGraph, state: StateDict, metadata: Record<string, string> = {}): ModelProto {
  const used = new Set(g.nodes.flatMap((n) => n.input));
  const weights = g.tensors.filter((t) => used.has(t.name)).map((t) => {
    const s = state.get(t.name);
    if (!s) throw new Error(`state dict has no tensor "${t.name}"`);
    return s.data instanceof BigInt64Array ? int64Tensor(t.name, s.data, t.shape) : floatTensor(t.name, s.data, t.shape);
  });
  return buildModel({
    name: g.arch,
    node: g.nodes,
    initializer: [...weights, ...g.constants],
    input: [valueInfo(g.inputName, TensorDataType.FLOAT, ['N', ...g.inputShape])],
    output: [valueInfo(g.outputName, TensorDataType.FLOAT, ['N', g.numClasses])],
    valueInfo: [],
  }, { arch: g.arch, config: JSON.stringify(g.config), ...metadata });
}

/** (1 − α)·a + α·b for every float tensor (computed in float64); integer buffers (num_batches_tracked) come from a. */
export function lerpStates(a: StateDict, b: StateDict, alpha: number): StateDict {
  const out: StateDict = new Map();
  for (const [name, ta] of a) {
    const tb = b.get(name);
    if (!tb) throw new Error(`the second state dict has no tensor "${name}"`);
    if (ta.data instanceof BigInt64Array) { out.set(name, { shape: ta.shape, data: ta.data.slice() }); continue; }
    const x = ta.data, y = tb.data as Float32Array;
    if (x.length !== y.length) throw new Error(`tensor "${name}" has ${x.length} values in one state dict and ${y.length} in the other`);
    const r = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) r[i] = (1 - alpha) * x[i] + alpha * y[i];
    out.set(name, { shape: ta.shape, data: r });
  }
  return out;
}
