// How mergekit's methods, parameters and dtypes map onto ours, both ways (mergekit/merge_methods/registry.py).
import type { ParamScalar } from './recipe';
import type { Value } from './mergekit-config';

/** How one mergekit method maps: ours, its global and per-model parameters, and mergekit's defaults. */
export interface Mapping {
  ours: string;
  /** Global parameters carried (mergekit name = ours), with mergekit's defaults. */
  globals: Record<string, ParamScalar | undefined>;
  /**
   * Global parameters whose mergekit default is ours too: carried where a config sets them to something else
   * (so a config that leaves them, and one that writes the default, import alike).
   */
  optional?: string[];
  /** Parameters mergekit takes that change nothing for this method (in mergekit either): read, nothing to carry. */
  inert?: string[];
  /** Per-model parameters carried besides `weight`, with mergekit's defaults. */
  perModel: Record<string, number>;
  /** Takes a per-model weight. */
  weight: boolean;
  /** Works on task vectors: the base is not one of the merged models. */
  taskVectors: boolean;
  /**
   * Where the base goes for a method that does not need one: `optional` — apart, and then the method works on
   * task vectors (multislerp, nuslerp); `merged` — one more model merged with the others, as mergekit adds a
   * base that is not among the models (karcher). Otherwise the method ignores it.
   */
  base?: 'optional' | 'merged';
}

/**
 * A generalized task arithmetic method: every one takes normalize, lambda and rescale (false by default but for
 * DARE and DELLA); `rescale: 'inert'` where nothing is sparsified, so it changes nothing.
 */
const gta = (ours: string, normalize: boolean, rescale: boolean | 'inert', perModel: Record<string, number>): Mapping => ({
  ours,
  globals: { normalize, lambda: 1, ...(rescale === true ? { rescale } : {}) },
  ...(rescale === false ? { optional: ['rescale'] } : rescale === 'inert' ? { inert: ['rescale'] } : {}),
  perModel,
  weight: true,
  taskVectors: true,
});

/** mergekit's registry (mergekit/merge_methods/registry.py) for the methods we have. */
export const MAPPINGS: Record<string, Mapping> = {
  linear: { ours: 'weighted', globals: { normalize: true }, perModel: {}, weight: true, taskVectors: false },
  slerp: { ours: 'slerp', globals: { t: undefined }, perModel: {}, weight: false, taskVectors: false },
  multislerp: { ours: 'multislerp', globals: {}, optional: ['normalize_weights'], perModel: {}, weight: true, taskVectors: false, base: 'optional' },
  nuslerp: { ours: 'nuslerp', globals: { nuslerp_row_wise: false, nuslerp_flatten: true }, perModel: {}, weight: true, taskVectors: false, base: 'optional' },
  karcher: { ours: 'karcher', globals: { max_iter: 10, tol: 1e-5 }, perModel: {}, weight: false, taskVectors: false, base: 'merged' },
  model_stock: { ours: 'model_stock', globals: {}, optional: ['filter_wise'], perModel: {}, weight: false, taskVectors: true },
  sce: { ours: 'sce', globals: { select_topk: 1 }, perModel: {}, weight: false, taskVectors: true },
  nearswap: { ours: 'nearswap', globals: { t: undefined }, perModel: {}, weight: false, taskVectors: true },
  arcee_fusion: { ours: 'arcee_fusion', globals: {}, perModel: {}, weight: false, taskVectors: true },
  ram: { ours: 'ram', globals: { epsilon: 1e-5 }, perModel: {}, weight: false, taskVectors: true },
  ramplus_tl: { ours: 'ramplus_tl', globals: { r: 0.1, alpha: 0.2, epsilon: 1e-5 }, perModel: {}, weight: false, taskVectors: true },
  task_arithmetic: gta('task_arithmetic', false, 'inert', {}),
  ties: gta('ties', true, false, { density: 1 }),
  // mergekit's scale defaults to none (no scaling), which is ours of 1
  passthrough: { ours: 'passthrough', globals: {}, perModel: { scale: 1 }, weight: false, taskVectors: false },
  dare_linear: gta('dare_linear', false, true, { density: 1 }),
  dare_ties: gta('dare_ties', false, true, { density: 1 }),
  breadcrumbs: gta('breadcrumbs', false, false, { density: 1, gamma: 0.01 }),
  breadcrumbs_ties: gta('breadcrumbs_ties', false, false, { density: 1, gamma: 0.01 }),
  della: gta('della', true, true, { density: 1, epsilon: 0.15 }),
  della_linear: gta('della_linear', false, true, { density: 1, epsilon: 0.15 }),
};

/** Parameters mergekit takes that change nothing in the result (or that we cannot take), with why. */
export const IGNORED: Record<string, string> = {
  int8_mask: 'mergekit keeps its sign masks as int8 to save memory; the result is the same, nothing to carry',
};

/** Our method → mergekit's, for the methods that are the same in both (the linear ones are written apart). */
export const TO_MERGEKIT: Record<string, string> = {
  task_arithmetic: 'task_arithmetic', ties: 'ties', dare_linear: 'dare_linear', dare_ties: 'dare_ties', breadcrumbs: 'breadcrumbs',
  breadcrumbs_ties: 'breadcrumbs_ties', della: 'della', della_linear: 'della_linear', model_stock: 'model_stock', slerp: 'slerp', multislerp: 'multislerp',
  nuslerp: 'nuslerp', karcher: 'karcher', sce: 'sce', nearswap: 'nearswap', arcee_fusion: 'arcee_fusion', ram: 'ram', ramplus_tl: 'ramplus_tl', passthrough: 'passthrough',
};

export const DTYPES: Record<string, 'f32' | 'f16' | 'bf16'> = { float32: 'f32', float16: 'f16', bfloat16: 'bf16', fp16: 'f16', bf16: 'bf16' };
export const MK_DTYPES = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' } as const;

/** mergekit's `rescale` (a boolean, true = the L1 rescale) to ours. */
export const rescaleFrom = (v: Value) => (v === true ? 'l1' : v === false ? 'none' : v);

/** mergekit's switches: it reads them as Python truth values (pydantic's bool), so `normalize: 0` is false. */
export const BOOLEAN_PARAMS = new Set(['normalize', 'rescale', 'filter_wise', 'normalize_weights', 'int8_mask']);

/** A switch's value as mergekit reads it: 0/1 and pydantic's words ("true", "off", …) as booleans; anything else as it is. */
export function asBoolean(v: Value): Value {
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (['true', 'yes', 'on', 'y', 't', '1'].includes(w)) return true;
    if (['false', 'no', 'off', 'n', 'f', '0'].includes(w)) return false;
  }
  return v;
}
