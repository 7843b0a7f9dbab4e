// A model's inference graph as the data-aware merges measure it: in evaluation mode (BatchNorm with its running
// statistics, no dropout), written with ops our backward rules differentiate, so gradients of the outputs with
// respect to the parameters can be taken at any batch size (batch 1 for per-example Fisher information).
import { GraphBuilder, getAttr, valueInfo } from '../../onnx/builder';
import { TensorDataType, type GraphProto, type NodeProto, type TensorProto } from '../../onnx/proto';
import { inferenceModel } from '../../models/state';
import type { ArchitectureGraph, StateDict } from '../../models/types';

export interface EvalGraph {
  /** The nodes, BatchNormalization and Dropout rewritten (others as they are). */
  nodes: NodeProto[];
  /** The state's tensors the nodes use, and every constant (the graph's and the rewrite's). */
  initializers: TensorProto[];
  /** Names of the trainable parameters (state role `param`) the nodes use. */
  params: string[];
}

/**
 * Rewrites `graph` for evaluation-mode differentiation: BatchNormalization y = (x − μ)·(σ² + ε)^−½·γ + β with the
 * running μ, σ² (constants of the measurement, so no rule is needed through them), Dropout as Identity.
 * `ranks` gives the rank of each BatchNormalization input (for the per-channel broadcast shape).
 */
export function evalGraph(graph: ArchitectureGraph, state: StateDict, ranks: Map<string, number>): EvalGraph {
  const model = inferenceModel(graph, state);
  const b = new GraphBuilder('eval', 'ev_');
  b.reserve(model.graph.node.flatMap((n) => [...n.output, n.name ?? '']));
  b.reserve(model.graph.initializer.map((t) => t.name));
  b.reserve([graph.inputName]);
  for (const n of model.graph.node) {
    if (n.opType === 'Dropout') {
      b.op('Identity', [n.input[0]], {}, n.output[0]);
    } else if (n.opType === 'BatchNormalization') {
      const [x, scale, bias, mean, variance] = n.input;
      const rank = ranks.get(x) ?? 4;
      const shape = b.constI64([-1, ...Array.from({ length: rank - 2 }, () => 1)]);
      const per = (v: string) => b.op('Reshape', [v, shape]);
      const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, b.scalar(getAttr(n, 'epsilon', 1e-5))])])]);
      const xhat = b.op('Mul', [b.op('Sub', [x, per(mean)]), per(invstd)]);
      b.op('Add', [b.op('Mul', [xhat, per(scale)]), per(bias)], {}, n.output[0]);
    } else {
      b.addNode(n);
    }
  }
  const used = new Set(b.nodes.flatMap((n) => n.input));
  const params = graph.tensors.filter((t) => t.role === 'param' && used.has(t.name)).map((t) => t.name);
  return { nodes: b.nodes, initializers: [...model.graph.initializer, ...b.initializers], params };
}

/** A runnable GraphProto of `g` with the model's input at [N, …inputShape] and the given outputs. */
export function graphProto(g: Pick<EvalGraph, 'nodes' | 'initializers'>, inputName: string, inputShape: number[], outputs: string[]): GraphProto {
  return {
    name: 'eval',
    node: g.nodes,
    initializer: g.initializers,
    input: [valueInfo(inputName, TensorDataType.FLOAT, ['N', ...inputShape])],
    output: outputs.map((name) => ({ name })),
    valueInfo: [],
  };
}
