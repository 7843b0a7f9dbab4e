// The contract between the differentiator and the per-op backward rules.
import type { GraphBuilder } from '../onnx/builder';
import type { NodeProto } from '../onnx/proto';

/** Static shapes of every value in the forward graph (from a probe run at the training batch size). */
export type ShapeMap = Map<string, number[]>;

/** What a rule sees while emitting the training-mode forward of its node. */
export interface ForwardContext {
  b: GraphBuilder;
  shape(value: string): number[];
  /** The node replaces a state tensor (BatchNorm running stats) with a new value after this step. */
  stateUpdate(state: string, newValue: string): void;
  /** A per-step tensor fed from JS (dropout masks): returns the value name holding this step's slice. */
  perStepInput(hint: string, shape: number[], kind: PerStepInputKind): string;
  /** The values of a constant initializer, when the name is one. */
  constant(name: string): Float32Array | undefined;
}

export type PerStepInputKind = { kind: 'dropout-mask'; ratio: number };

export interface BackwardContext {
  b: GraphBuilder;
  shape(value: string): number[];
}

export interface BackwardRule {
  opType: string;
  /**
   * Training-mode forward: emit nodes that compute the node's outputs (same output names) and
   * return whatever backward needs later. Absent: the node is copied as it is.
   */
  forward?(node: NodeProto, ctx: ForwardContext): unknown;
  /**
   * Emit nodes for the gradients of the node's inputs. `gy[i]` is the gradient of output i (undefined
   * when no gradient flows into it); return one entry per input, undefined where `needs[i]` is false
   * or the input is not differentiable.
   */
  backward(node: NodeProto, gy: (string | undefined)[], needs: boolean[], ctx: BackwardContext, saved: unknown): (string | undefined)[];
}

/** An error in differentiating a graph (unsupported op or attribute). */
export class AutodiffError extends Error {
  constructor(message: string) { super(message); this.name = 'AutodiffError'; }
}
