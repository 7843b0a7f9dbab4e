// Train-step graph assembly: training-mode forward, cross-entropy, backward, optional coupling term
// λ‖w − w_partner‖², optimiser update — either one step per run() (with gradients as outputs, for
// checks) or K steps per run() inside an ONNX Loop over stacked batches (copies paid once per K steps).
import { GraphBuilder, buildModel, floatTensor } from '../onnx/builder';
import { TensorDataType, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto';
import { emitBackward, emitTrainingForward, missingRules, type PerStepInput } from './differentiate';
import { emitCrossEntropy } from './loss';
import { createOptimizer, type OptimizerConfig } from './optimizers';
import { probeShapes } from './shapes';
import { AutodiffError, type PerStepInputKind, type ShapeMap } from './types';

export interface TensorShape { name: string; shape: number[] }

export interface TrainGraphSpec {
  /** Inference nodes of the model (standard ops; BatchNorm/Dropout lowered for training here). */
  nodes: NodeProto[];
  /** Constant initializers the nodes use that are not trained (reshape shapes, frozen tensors). */
  constants: TensorProto[];
  inputName: string;
  /** Logits output (N × classes). */
  outputName: string;
  params: TensorShape[];
  /** Float tensors the forward replaces each step (BatchNorm running stats). */
  states: TensorShape[];
  batchSize: number;
  inputShape: number[];
  numClasses: number;
  optimizer: OptimizerConfig;
  /** Adds λ‖w − w_partner‖² to the loss; `perTensor` overrides λ by parameter name. */
  coupling?: { lambda: number; perTensor?: Record<string, number> };
}

/** Names of the graph's inputs and outputs, for the runner. */
export interface TrainGraphIO {
  mode: 'single' | 'loop';
  params: TensorShape[];
  states: TensorShape[];
  /** Optimiser slot tensors: one entry per (param, slot), shaped like the param. */
  slots: { param: string; slot: string; input: string; output: string; shape: number[] }[];
  paramIn: (p: string) => string;
  paramOut: (p: string) => string;
  stateIn: (s: string) => string;
  stateOut: (s: string) => string;
  partnerIn: (p: string) => string;
  /** single mode only: the gradient output of a param. */
  gradOut: (p: string) => string;
  perStep: PerStepInput[];
  coupled: boolean;
}

export interface TrainGraph { model: ModelProto; io: TrainGraphIO; shapes: ShapeMap }

const names = {
  paramIn: (p: string) => `in:${p}`, paramOut: (p: string) => `out:${p}`,
  stateIn: (s: string) => `in:${s}`, stateOut: (s: string) => `out:${s}`,
  partnerIn: (p: string) => `partner:${p}`, gradOut: (p: string) => `grad:${p}`,
  slotIn: (p: string, s: string) => `in:${p}:${s}`, slotOut: (p: string, s: string) => `out:${p}:${s}`,
};

async function shapesOf(spec: TrainGraphSpec): Promise<ShapeMap> {
  const zeros = [...spec.params, ...spec.states].map((t) => floatTensor(t.name, new Float32Array(t.shape.reduce((a, b) => a * b, 1)), t.shape));
  const graph: GraphProto = {
    name: 'probe', node: spec.nodes, initializer: [...zeros, ...spec.constants],
    input: [{ name: spec.inputName, type: { tensorType: { elemType: TensorDataType.FLOAT } } }],
    output: [{ name: spec.outputName }], valueInfo: [],
  };
  return probeShapes(graph, { [spec.inputName]: [spec.batchSize, ...spec.inputShape] });
}

interface StepValues {
  newParams: Map<string, string>; newSlots: Map<string, string>; newStates: Map<string, string>;
  grads: Map<string, string>; loss: string; correct: string; perStep: PerStepInput[];
}

/** Emit one training step into `b`, reading parameters/slots/states by their plain names. */
function emitStep(
  b: GraphBuilder, spec: TrainGraphSpec, shapes: ShapeMap, labels: string, lr: string, step: string,
  perStepInput: (hint: string, shape: number[], kind: PerStepInputKind) => string, partner: (p: string) => string,
): StepValues {
  const fwd = emitTrainingForward(b, spec.nodes, shapes, perStepInput, spec.constants);
  const ce = emitCrossEntropy(b, spec.outputName, labels, spec.batchSize, spec.numClasses);
  const wrt = spec.params.map((p) => p.name);
  const grads = emitBackward(b, spec.nodes, shapes, wrt, new Map([[spec.outputName, ce.dlogits]]), fwd.saved);
  const opt = createOptimizer(spec.optimizer);
  const out: StepValues = { newParams: new Map(), newSlots: new Map(), newStates: new Map(), grads: new Map(), loss: ce.loss, correct: ce.correct, perStep: fwd.perStep };
  for (const p of spec.params) {
    let g = grads.get(p.name);
    if (!g) { // a parameter no gradient reaches stays as it is
      out.newParams.set(p.name, b.op('Identity', [p.name]));
      for (const s of opt.slots) out.newSlots.set(`${p.name}:${s}`, b.op('Identity', [`${p.name}:${s}`]));
      continue;
    }
    if (spec.coupling) {
      const lam = spec.coupling.perTensor?.[p.name] ?? spec.coupling.lambda;
      if (lam) g = b.op('Add', [g, b.op('Mul', [b.op('Sub', [p.name, partner(p.name)]), b.scalar(2 * lam)])]);
    }
    out.grads.set(p.name, g);
    const u = opt.update(b, { param: p.name, grad: g, slots: opt.slots.map((s) => `${p.name}:${s}`), lr, step });
    out.newParams.set(p.name, u.param);
    opt.slots.forEach((s, i) => out.newSlots.set(`${p.name}:${s}`, u.slots[i]));
  }
  for (const s of spec.states) {
    const v = fwd.stateUpdates.get(s.name);
    out.newStates.set(s.name, v ?? b.op('Identity', [s.name]));
  }
  return out;
}

function checkSpec(spec: TrainGraphSpec): void {
  const missing = missingRules(spec.nodes, [spec.inputName, ...spec.params.map((p) => p.name)]);
  if (missing.length) throw new AutodiffError(`cannot train this graph: no backward rule for ${missing.join(', ')}`);
}

function ioFor(mode: 'single' | 'loop', spec: TrainGraphSpec, perStep: PerStepInput[]): TrainGraphIO {
  const opt = createOptimizer(spec.optimizer);
  return {
    mode, params: spec.params, states: spec.states, perStep, coupled: !!spec.coupling,
    slots: spec.params.flatMap((p) => opt.slots.map((s) => ({ param: p.name, slot: s, input: names.slotIn(p.name, s), output: names.slotOut(p.name, s), shape: p.shape }))),
    paramIn: names.paramIn, paramOut: names.paramOut, stateIn: names.stateIn, stateOut: names.stateOut,
    partnerIn: names.partnerIn, gradOut: names.gradOut,
  };
}

const f32 = TensorDataType.FLOAT;

/**
 * One step per run(). Inputs: the model input, `labels` (int64 [B]), `lr`, `step` (this step's index from 1),
 * in:<param>, in:<param>:<slot>, in:<state>, partner:<param>. Outputs: `loss`, `correct`, grad:<param>,
 * out:<param>, out:<param>:<slot>, out:<state>.
 */
export async function buildSingleStep(spec: TrainGraphSpec): Promise<TrainGraph> {
  checkSpec(spec);
  const shapes = await shapesOf(spec);
  const b = new GraphBuilder('train_step');
  b.reserve(shapes.keys());
  b.reserve(spec.nodes.flatMap((n) => (n.name ? [n.name] : [])));
  for (const t of spec.constants) b.initializer(t);
  b.input(spec.inputName, f32, [spec.batchSize, ...spec.inputShape]);
  b.input('labels', TensorDataType.INT64, [spec.batchSize]);
  b.input('lr', f32, []);
  b.input('step', f32, []);
  const slotNames = ioFor('single', spec, []).slots;
  // Plain names inside the step; the graph's inputs carry in:/out: prefixes.
  for (const p of spec.params) b.op('Identity', [b.input(names.paramIn(p.name), f32, p.shape)], {}, p.name);
  for (const s of slotNames) b.op('Identity', [b.input(s.input, f32, s.shape)], {}, `${s.param}:${s.slot}`);
  for (const s of spec.states) b.op('Identity', [b.input(names.stateIn(s.name), f32, s.shape)], {}, s.name);
  const partner = (p: string) => names.partnerIn(p);
  if (spec.coupling) for (const p of spec.params) b.input(names.partnerIn(p.name), f32, p.shape);
  const st = emitStep(b, spec, shapes, 'labels', 'lr', 'step', (hint, shape) => b.input(b.fresh(`step_${hint}`), f32, shape), partner);
  const perStepNames = st.perStep;
  b.op('Identity', [st.loss], {}, 'loss'); b.output('loss');
  b.op('Identity', [st.correct], {}, 'correct'); b.output('correct');
  for (const p of spec.params) {
    const g = st.grads.get(p.name);
    b.op('Identity', [g ?? b.op('Mul', [p.name, b.scalar(0)])], {}, names.gradOut(p.name)); b.output(names.gradOut(p.name));
    b.op('Identity', [st.newParams.get(p.name)!], {}, names.paramOut(p.name)); b.output(names.paramOut(p.name));
  }
  for (const s of slotNames) { b.op('Identity', [st.newSlots.get(`${s.param}:${s.slot}`)!], {}, s.output); b.output(s.output); }
  for (const s of spec.states) { b.op('Identity', [st.newStates.get(s.name)!], {}, names.stateOut(s.name)); b.output(names.stateOut(s.name)); }
  return { model: b.toModel(), io: ioFor('single', spec, perStepNames), shapes };
}

/**
 * K steps per run() in an ONNX Loop; K is the first dimension of the stacked inputs. Inputs: `xs`
 * [K,B,…], `ys` int64 [K,B], `lrs` [K], `step0` (steps done before this call), in:<param>, in:<param>:<slot>,
 * in:<state>, partner:<param>, and per-step tensors stacked [K,…] under their PerStepInput names.
 * Outputs: `losses` [K], `corrects` [K], out:<param>, out:<param>:<slot>, out:<state>.
 */
export async function buildLoopStep(spec: TrainGraphSpec): Promise<TrainGraph> {
  checkSpec(spec);
  const shapes = await shapesOf(spec);
  const outer = new GraphBuilder('train_loop', 'o_');
  const body = new GraphBuilder('train_body');
  const slotNames = ioFor('loop', spec, []).slots;
  // loop-carried tensors: the plain name inside the body, the graph input outside
  const carried: { inner: string; outer: string; result: string; shape: number[] }[] = [
    ...spec.params.map((p) => ({ inner: p.name, outer: names.paramIn(p.name), result: names.paramOut(p.name), shape: p.shape })),
    ...slotNames.map((s) => ({ inner: `${s.param}:${s.slot}`, outer: s.input, result: s.output, shape: s.shape })),
    ...spec.states.map((s) => ({ inner: s.name, outer: names.stateIn(s.name), result: names.stateOut(s.name), shape: s.shape })),
  ];
  outer.input('xs', f32, ['K', spec.batchSize, ...spec.inputShape]);
  outer.input('ys', TensorDataType.INT64, ['K', spec.batchSize]);
  outer.input('lrs', f32, ['K']);
  outer.input('step0', f32, []);
  for (const c of carried) outer.input(c.outer, f32, c.shape);
  if (spec.coupling) for (const p of spec.params) outer.input(names.partnerIn(p.name), f32, p.shape);
  for (const t of spec.constants) outer.initializer(t);

  // body: (iter, cond, step, carried…) → (cond, step+1, carried…, loss, correct)
  body.reserve([...shapes.keys(), ...outer.inputs.map((i) => i.name), ...spec.constants.map((t) => t.name)]);
  body.reserve(spec.nodes.flatMap((n) => (n.name ? [n.name] : [])));
  body.input('iter', TensorDataType.INT64, []);
  body.input('cond_in', TensorDataType.BOOL, []);
  body.input('step_in', f32, []);
  for (const c of carried) body.input(c.inner, f32, c.shape);
  const step = body.op('Add', ['step_in', body.scalar(1)]);
  body.op('Gather', ['xs', 'iter'], { axis: 0 }, spec.inputName);
  const labels = body.op('Gather', ['ys', 'iter'], { axis: 0 });
  const lr = body.op('Gather', ['lrs', 'iter'], { axis: 0 });
  // per-step tensors (dropout masks) come stacked [K,…] from outside; the body takes slice `iter`
  const stacked: PerStepInput[] = [];
  const st = emitStep(body, spec, shapes, labels, lr, step, (hint, shape, kind) => {
    const name = outer.input(outer.fresh(`stack_${hint}`), f32, ['K', ...shape]);
    stacked.push({ name, shape, spec: kind });
    return body.op('Gather', [name, 'iter'], { axis: 0 });
  }, names.partnerIn);
  const newValue = new Map([...st.newParams, ...st.newSlots, ...st.newStates]);
  body.output(body.op('Identity', ['cond_in']));
  body.output(step);
  for (const c of carried) body.output(newValue.get(c.inner)!);
  body.output(st.loss);
  body.output(st.correct);

  const k = outer.op('Squeeze', [outer.op('Shape', ['xs'], { start: 0, end: 1 }), outer.constI64([0])]);
  const loopOuts = ['step_final', ...carried.map((c) => c.result), 'losses', 'corrects'];
  outer.node('Loop', [k, '', 'step0', ...carried.map((c) => c.outer)], { body: body.toGraph() }, loopOuts);
  for (const o of loopOuts.slice(1)) outer.output(o);
  return { model: buildModel(outer.toGraph()), io: ioFor('loop', spec, stacked), shapes };
}
