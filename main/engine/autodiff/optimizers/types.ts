// An optimiser emits its update inside the training graph, per parameter, with PyTorch's arithmetic.
import type { GraphBuilder } from '../../onnx/builder';

export interface OptimizerConfig {
  type: 'sgd' | 'adam' | 'adamw';
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface UpdateArgs {
  param: string;
  grad: string;
  /** Current values of this parameter's slots (same order as `slots`). */
  slots: string[];
  /** Scalar learning rate of this step. */
  lr: string;
  /** Scalar float: index of this step, counting from 1 (Adam's bias correction). */
  step: string;
}

export interface Optimizer {
  /** Names of the per-parameter state tensors, each shaped like the parameter, zero at start (PyTorch's names). */
  slots: string[];
  update(b: GraphBuilder, a: UpdateArgs): { param: string; slots: string[] };
}

export type OptimizerFactory = (c: OptimizerConfig) => Optimizer;
