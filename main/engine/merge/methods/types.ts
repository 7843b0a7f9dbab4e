// What a merge method is: its text for the Scheme screen, its parameters (zod, with defaults and slider
// ranges), how many models it takes, and the kernel that merges one tensor.
import { z } from 'zod';

/** A parameter's value: a number (slider), a switch (`normalize: false`) or one of named choices (`rescale: l1`). */
export type ParamValue = number | boolean | string;
export type Params = Record<string, ParamValue>;

/** The per-tensor inputs of a kernel, all already converted to f32 and of equal length. */
export interface KernelInput<P = Record<string, number>> {
  /** Each model's tensor, in recipe order. */
  models: Float32Array[];
  /** The base model's tensor, for methods with needsBase. */
  base?: Float32Array;
  /** Per-model weights for this tensor (recipe weights, or a layer rule's). */
  weights: number[];
  /** Parameters for this tensor (method defaults ← recipe ← layer rule), validated by the schema. */
  params: P;
  /**
   * Per model, for methods with `perModel` parameters (density, gamma, epsilon, as in mergekit): the
   * parameters with that model's own values in; absent when every model has `params`.
   */
  modelParams?: P[];
  /** Seed for this tensor, derived from the recipe seed and `name` (see kernels/random.ts). */
  seed: number;
  /** Tensor name, for messages. */
  name: string;
  /** The tensor's shape (DELLA ranks magnitudes along dimension 1, as mergekit does); flat when absent. */
  shape?: readonly number[];
  /** Says, for the run's log, that a documented difference from the reference applied to this tensor. */
  note?: (message: string) => void;
  /**
   * For data-aware methods (`data` set): what was measured on each model's data sample for this tensor
   * (merge/data-aware/); absent for a tensor nothing was measured for (a buffer, a layer RegMean skips).
   */
  statistics?: TensorStatistics;
}

/** Per-tensor statistics of a data-aware merge, one entry per model in recipe order. */
export interface TensorStatistics {
  /** Diagonal Fisher information of this tensor, per model (same length as the tensor). */
  fisher?: Float32Array[];
  /** Per model, the L2 norm of its whole Fisher (all parameters together), for fisher's `normalize`. */
  fisherNorms?: number[];
  /**
   * For the weight of a linear layer: per model, the Gram matrix XᵀX / rows of the layer's input on its sample
   * (d × d, row-major), and how the weight is laid out: 'out-in' (PyTorch Linear, Gemm transB=1) or 'in-out'.
   */
  gram?: { matrices: Float64Array[]; dim: number; layout: 'out-in' | 'in-out' };
}

/** What a data-aware method measures on each model's data sample before merging. */
export type DataStatistic = 'fisher' | 'gram';

export interface MergeMethod<P extends Params = Params> {
  id: string;
  label: string;
  /** The formula in plain text (θᵢ a model's tensor, wᵢ its weight, θ_b the base, δᵢ = θᵢ − θ_b). */
  formula: string;
  /** One plain sentence: when to use it. */
  whenToUse: string;
  /** Parameters with defaults and ranges (`.meta({ step })` for sliders); strict, so typos are errors. */
  params: z.ZodType<P, Record<string, unknown>>;
  /** Parameters each model may set for itself (a recipe model's `parameters`, a rule's `model_parameters`). */
  perModel?: readonly string[];
  needsBase: boolean;
  /** True when a base is optional but used if given (multislerp works on task vectors then). */
  acceptsBase?: boolean;
  minModels: number;
  maxModels?: number;
  /** True when the weights are divided by their sum, so weights summing to 0 cannot run. */
  normalizesWeights: boolean;
  /** True when model weights change the result (the Scheme screen shows weight inputs only then). */
  usesWeights: boolean;
  /**
   * Data-aware methods: the statistic measured on a data sample (the recipe's `data:` block) before the merge;
   * the kernel then gets it in `statistics`. `statisticsParams` are read once for the whole model (they choose
   * what is measured), so layer rules and models cannot set them.
   */
  data?: DataStatistic;
  statisticsParams?: readonly string[];
  kernel(input: KernelInput<P>): Float32Array;
  /**
   * For methods whose result is a fixed linear combination Σcᵢxᵢ of their inputs: the inputs and the
   * coefficients. The executor then runs the combination in a worker thread (kernels/pool.ts); `kernel`
   * must give the same result (it is linearCombination of this).
   */
  linearForm?(input: KernelInput<P>): LinearForm;
}

export interface LinearForm {
  inputs: Float32Array[];
  coefs: number[];
}

/** A number parameter in [min, max] with a default, a slider step and a one-line description. */
export function numberParam(min: number, max: number, def: number, step: number, description: string) {
  return z.number().min(min).max(max).default(def).meta({ step, description });
}

/**
 * A number parameter with no bounds (mergekit bounds none of λ, weights…), whose slider spans [sliderMin,
 * sliderMax]; the number field takes any value.
 */
export function unboundedParam(sliderMin: number, sliderMax: number, def: number, step: number, description: string) {
  return z.number().default(def).meta({ step, description, slider: [sliderMin, sliderMax] });
}

/** A true/false parameter (a checkbox on the Scheme screen). */
export function booleanParam(def: boolean, description: string) {
  return z.boolean().default(def).meta({ description });
}

/** One of a few named choices (a drop-down on the Scheme screen). */
export function choiceParam<const T extends readonly [string, ...string[]]>(choices: T, def: T[number], description: string) {
  return z.enum(choices).default(def as never).meta({ description });
}

/** An integer seed parameter for methods with random drops. */
export function seedParam() {
  return z.number().int().min(0).max(2 ** 32 - 1).default(0).meta({ step: 1, description: 'Random seed: the same seed gives the same output bytes.' });
}

/** Describes a method's parameters for the GUI: name, kind, default, range, step, choices, description. */
export interface ParamSpec {
  name: string;
  kind: 'number' | 'boolean' | 'choice';
  default: ParamValue;
  min: number;
  max: number;
  step: number;
  integer: boolean;
  /** False for a number with no bounds (min and max are then only the slider's span). */
  bounded: boolean;
  /** The names a `choice` parameter takes. */
  choices?: string[];
  /** True when each model may have its own value (mergekit's per-model parameters). */
  perModel: boolean;
  description: string;
}

export function describeParams(method: MergeMethod): ParamSpec[] {
  const json = z.toJSONSchema(method.params, { io: 'input' }) as {
    properties?: Record<string, { default?: ParamValue; minimum?: number; maximum?: number; step?: number; type?: string; enum?: string[]; description?: string; slider?: [number, number] }>;
  };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    kind: p.type === 'boolean' ? 'boolean' : p.enum ? 'choice' : 'number',
    default: p.default ?? 0,
    min: p.slider?.[0] ?? p.minimum ?? 0,
    max: p.slider?.[1] ?? p.maximum ?? 1,
    bounded: p.slider === undefined,
    step: p.step ?? 0.01,
    integer: p.type === 'integer',
    ...(p.enum ? { choices: p.enum } : {}),
    perModel: method.perModel?.includes(name) ?? false,
    description: p.description ?? '',
  }));
}

export function requireBase(input: KernelInput<unknown>): Float32Array {
  if (!input.base) throw new Error(`${input.name}: this method needs a base model's tensor`);
  return input.base;
}

/** Model m's parameters: its own where it has them, else the tensor's. */
export function paramsOf<P>(input: KernelInput<P>, m: number): P {
  return input.modelParams?.[m] ?? input.params;
}
