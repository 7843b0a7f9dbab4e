// A built-in architecture: an inference graph with PyTorch names and layouts, plus the ordered list of
// its state-dict tensors (parameters and buffers) and how each is initialised.
import type { NodeProto, TensorProto } from '../onnx/proto';

export type TensorRole = 'param' | 'running_mean' | 'running_var' | 'num_batches_tracked';

export interface StateTensorSpec {
  /** PyTorch state-dict name ("features.0.weight"). */
  name: string;
  shape: number[];
  dtype: 'f32' | 'i64';
  role: TensorRole;
  /** How to initialise: PyTorch's default for the layer kind. fanIn for kaiming-uniform(a=√5) bounds. */
  init: { kind: 'uniform'; bound: number } | { kind: 'const'; value: number };
}

export interface ArchitectureGraph {
  arch: string;
  /** Options it was built with (widths, hidden sizes), recorded in run.json. */
  config: Record<string, unknown>;
  /** Shape of one example [C,H,W] or [F]. */
  inputShape: number[];
  numClasses: number;
  /** Graph input (N×inputShape) and output (N×numClasses logits). */
  inputName: string;
  outputName: string;
  /** Inference nodes (BatchNorm as the standard op, using running statistics). */
  nodes: NodeProto[];
  /** Non-weight constants the nodes use (reshape shapes, …). */
  constants: TensorProto[];
  /** State dict in PyTorch order. */
  tensors: StateTensorSpec[];
}

export interface ArchitectureOptions {
  inputShape: number[];
  numClasses: number;
  /** MLP hidden widths. */
  hidden?: number[];
  /** Channel width multiplier / base width for vgg and resnet. */
  width?: number;
  /** vgg: output channels of every conv, block by block (overrides width). */
  blocks?: number[][];
  /** vgg: dropout ratio of the classifier (default 0.5). */
  dropout?: number;
}

/** A tensor's name and shape, as a weights file lists them. */
export interface NamedShape { name: string; shape: number[] }

export interface Architecture {
  id: string;
  label: string;
  /** Human description of the exact layer shapes. */
  describe(options: ArchitectureOptions): string;
  build(options: ArchitectureOptions): ArchitectureGraph;
  /** The options a state dict of this architecture was built with, read off its tensors' shapes. */
  inferOptions?(tensors: NamedShape[]): Partial<ArchitectureOptions>;
}

/** A state dict: name → data, in the architecture's order. */
export type StateDict = Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>;
