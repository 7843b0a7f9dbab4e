// The permutation spec's shape: which tensor axes each permutation of hidden units moves, and what was left out.

/** One tensor axis a permutation moves. The axis has `size × block` entries; entry c·block + k belongs to unit c. */
export interface AxisRef {
  tensor: string;
  axis: number;
  block: number;
  /** What the axis is: a layer's output units, a consumer's input units, or a per-channel parameter (bias, BatchNorm). */
  role: 'out' | 'in' | 'channel';
}

/** An activation that carries a group's units along `axis` (for activation matching), before any Flatten. */
export interface ActivationPoint { value: string; axis: number }

export interface PermGroup {
  /** P_<first producer's layer> ("P_layers.0", "P_block_1.0"). */
  name: string;
  size: number;
  axes: AxisRef[];
  /** The layers (weights) whose outputs it permutes. */
  producers: string[];
  /** Where its units are seen as activations: the inputs of the layers that consume them. */
  points: ActivationPoint[];
}

export interface SpecIssue { node: string; opType: string; message: string }

export interface PermutationSpec {
  groups: PermGroup[];
  /** Hidden axes left unpermuted, and why (graph output, an op not understood, …). */
  fixed: { producers: string[]; reason: string }[];
  /** Ops met on a permuted axis that the spec does not understand (their axes are left unpermuted). */
  unsupported: SpecIssue[];
}
