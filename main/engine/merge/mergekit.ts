// mergekit YAML import and export for the methods both tools have. Everything that does not map exactly
// is listed in `notCarried`, in words, so the user knows what changed on the way.
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { parseRecipe, recipeToYaml, type LayerRule, type Recipe, type ResolvedRecipe } from './recipe';

export interface MergekitImport {
  recipe: Recipe;
  notCarried: string[];
}

export interface MergekitExport {
  yaml: string;
  notCarried: string[];
}

type Value = number | number[];
/** mergekit parameter value: a number, a gradient, or filter entries ({filter, value}; the last without filter). */
type MkValue = number | number[] | { filter?: string; value: Value }[];

const MkParam = z.union([
  z.number(),
  z.array(z.number()),
  z.array(z.object({ filter: z.string().optional(), value: z.union([z.number(), z.array(z.number())]) }).passthrough()),
]);
const MkParams = z.record(z.string(), z.union([MkParam, z.boolean(), z.string()]));
const MkConfig = z.object({
  merge_method: z.string(),
  base_model: z.string().optional(),
  models: z.array(z.object({ model: z.string(), parameters: MkParams.optional() }).passthrough()).optional(),
  slices: z.unknown().optional(),
  parameters: MkParams.optional(),
  dtype: z.string().optional(),
}).passthrough();

/** mergekit method → ours. `linear` becomes weighted (or sum when normalize is false). */
const FROM_MERGEKIT: Record<string, string> = {
  linear: 'weighted',
  slerp: 'slerp',
  multislerp: 'multislerp',
  task_arithmetic: 'task_arithmetic',
  ties: 'ties',
  dare_linear: 'dare_linear',
  dare_ties: 'dare_ties',
  breadcrumbs: 'breadcrumbs',
  breadcrumbs_ties: 'breadcrumbs',
  della: 'della',
  della_linear: 'della',
  model_stock: 'model_stock',
};

/** Methods that work on θᵢ − θ_b: mergekit lists the base among their models, we keep it apart. */
const TASK_VECTOR_METHODS = ['task_arithmetic', 'ties', 'dare_linear', 'dare_ties', 'breadcrumbs', 'della', 'model_stock'];

const DTYPES: Record<string, 'f32' | 'f16' | 'bf16'> = { float32: 'f32', float16: 'f16', bfloat16: 'bf16' };
const OUR_PARAMS = ['t', 'density', 'lambda', 'gamma', 'epsilon'];

/** mergekit filters are substrings of tensor names; our globs anchor both ends. */
function filterToGlob(filter: string): string {
  return `*${filter}*`;
}

/** A glob that is exactly "contains X" (or starts with X, close enough to say so) as a mergekit filter. */
function globToFilter(glob: string): { filter: string; exact: boolean } | undefined {
  const inner = glob.replace(/^\*/, '').replace(/\*$/, '');
  if (/[*?]/.test(inner) || inner === '') return undefined;
  return { filter: inner, exact: glob.startsWith('*') && glob.endsWith('*') };
}

export function importMergekit(text: string, options: { output?: string } = {}): MergekitImport {
  const notCarried: string[] = [];
  const cfg = MkConfig.parse(parse(text));
  const method = FROM_MERGEKIT[cfg.merge_method];
  if (!method) throw new Error(`mergekit method "${cfg.merge_method}" has no equivalent here; supported: ${Object.keys(FROM_MERGEKIT).join(', ')}`);
  if (cfg.merge_method === 'breadcrumbs_ties') notCarried.push('breadcrumbs_ties: the sign election is not carried; breadcrumbs here sums the trimmed task vectors');
  if (cfg.merge_method === 'della_linear') notCarried.push('della_linear: imported as della, which adds a TIES sign election');
  if (cfg.slices !== undefined) notCarried.push('slices / layer_range: the layer stacking of mergekit is not carried; all tensors of the models are merged');
  for (const k of Object.keys(cfg)) {
    if (!['merge_method', 'base_model', 'models', 'slices', 'parameters', 'dtype'].includes(k)) notCarried.push(`${k}: not used here`);
  }

  const top = cfg.parameters ?? {};
  const parameters: Record<string, number> = {};
  const draft: RuleDraft = { filtered: new Map(), everywhere: {} };
  let normalize = true;
  for (const [k, v] of Object.entries(top)) {
    if (k === 'normalize' && typeof v === 'boolean') { normalize = v; continue; }
    if (k === 'weight' && typeof v === 'number') continue; // a default weight: applied per model below
    if (!OUR_PARAMS.includes(k) || typeof v === 'boolean' || typeof v === 'string') { notCarried.push(`parameters.${k}: not used here`); continue; }
    carryParam(k, v as MkValue, parameters, draft, notCarried);
  }

  // slerp: base_model is the t = 0 end, the other listed model the t = 1 end.
  let entries = cfg.models ?? slicedModels(cfg.slices, notCarried);
  if (method === 'slerp' && cfg.base_model) {
    entries = [{ model: cfg.base_model }, ...entries.filter((m) => m.model !== cfg.base_model)];
  }
  if (cfg.base_model && TASK_VECTOR_METHODS.includes(method) && entries.some((m) => m.model === cfg.base_model)) {
    // mergekit lists the base among the models and skips it for task-vector methods; here it is only `base`.
    entries = entries.filter((m) => m.model !== cfg.base_model);
  }
  const defaultWeight = typeof top.weight === 'number' ? top.weight : 1;
  const models = entries.map((m) => {
    const p = m.parameters ?? {};
    let weight = defaultWeight;
    for (const [k, v] of Object.entries(p)) {
      if (k === 'weight' && typeof v === 'number') weight = v;
      else if (k === 'weight') notCarried.push(`models[${m.model}].parameters.weight: gradients and filters of per-model weights are not carried; weight ${weight} used`);
      else if (OUR_PARAMS.includes(k) && typeof v === 'number') {
        if (parameters[k] === undefined) parameters[k] = v;
        else if (parameters[k] !== v) notCarried.push(`models[${m.model}].parameters.${k} = ${v}: per-model ${k} is not carried; ${parameters[k]} is used for every model`);
      } else notCarried.push(`models[${m.model}].parameters.${k}: not carried`);
    }
    return { path: m.model, weight };
  });

  let ourMethod = method;
  if (method === 'weighted' && !normalize) ourMethod = 'sum';
  else if (method !== 'weighted' && top.normalize !== undefined) notCarried.push('parameters.normalize: not used by this method here');
  const usesBase = TASK_VECTOR_METHODS.includes(ourMethod) || ourMethod === 'multislerp';
  if (cfg.base_model && !usesBase && method !== 'slerp') notCarried.push(`base_model: ${ourMethod} does not use a base`);
  const layers = rulesOf(draft, notCarried);

  const recipe: Recipe = {
    method: ourMethod,
    models: models.map((m) => (ourMethod === 'weighted' || ourMethod === 'sum' || m.weight !== 1 ? m : { path: m.path })),
    ...(cfg.base_model && usesBase ? { base: cfg.base_model } : {}),
    ...(Object.keys(parameters).length ? { parameters } : {}),
    ...(layers.length ? { layers } : {}),
    output: { path: options.output ?? 'merged.safetensors', ...(cfg.dtype && DTYPES[cfg.dtype] ? { dtype: DTYPES[cfg.dtype] } : {}) },
  };
  if (cfg.dtype && !DTYPES[cfg.dtype]) notCarried.push(`dtype ${cfg.dtype}: not an output dtype here (f32, f16, bf16)`);
  if (!options.output) notCarried.push('output: mergekit takes it on the command line; set output.path (merged.safetensors for now)');
  // Validate through the normal recipe parser so an import is exactly as strict as a hand-written recipe.
  return { recipe: parseRecipe(recipeToYaml(recipe), 'imported mergekit config'), notCarried };
}

/** Collects one mergekit parameter into top-level numbers, per-filter values and whole-model gradients. */
function carryParam(k: string, v: MkValue, parameters: Record<string, number>, rules: RuleDraft, notCarried: string[]): void {
  if (typeof v === 'number') { parameters[k] = v; return; }
  if (v.length && typeof v[0] === 'number') {
    rules.everywhere[k] = v as number[];
    notCarried.push(`parameters.${k} gradient: interpolated over all layers in file order (mergekit uses the transformer layer index)`);
    return;
  }
  for (const entry of v as { filter?: string; value: Value }[]) {
    if (entry.filter === undefined) {
      if (typeof entry.value === 'number') parameters[k] = entry.value;
      else rules.everywhere[k] = entry.value;
    } else {
      const at = rules.filtered.get(entry.filter) ?? {};
      at[k] = entry.value;
      rules.filtered.set(entry.filter, at);
    }
  }
}

interface RuleDraft {
  filtered: Map<string, Record<string, Value>>;
  everywhere: Record<string, Value>;
}

/** Rules from the drafts: one per filter (all its parameters), then one for every tensor. */
function rulesOf(draft: RuleDraft, notCarried: string[]): LayerRule[] {
  const rules: LayerRule[] = [...draft.filtered].map(([filter, parameters]) => ({ match: filterToGlob(filter), parameters }));
  if (Object.keys(draft.everywhere).length) {
    if (rules.length) notCarried.push('a gradient and filters together: tensors matched by a filter do not also get the gradient here (the first matching rule wins)');
    rules.push({ match: '*', parameters: draft.everywhere });
  }
  return rules;
}

/** The models of a one-slice config (the usual mergekit slerp form); layer ranges are not carried. */
function slicedModels(slices: unknown, notCarried: string[]): { model: string; parameters?: Record<string, unknown> }[] {
  const parsed = z.array(z.object({ sources: z.array(z.object({ model: z.string(), parameters: MkParams.optional() }).passthrough()) }).passthrough()).safeParse(slices);
  if (!parsed.success || parsed.data.length === 0) return [];
  if (parsed.data.length > 1) notCarried.push(`slices: only the first of ${parsed.data.length} slices' models are used`);
  return parsed.data[0].sources.map((src) => ({ model: src.model, parameters: src.parameters as Record<string, unknown> | undefined }));
}

/** Our method → mergekit's, with the weights that make it exact where a linear form exists. */
export function exportMergekit(recipe: Recipe | ResolvedRecipe): MergekitExport {
  const r: Recipe = 'recipe' in recipe && 'baseDir' in recipe ? recipe.recipe : (recipe as Recipe);
  const notCarried: string[] = [];
  const modelPaths: { path: string; weight: number }[] = 'recipe' in recipe && 'baseDir' in recipe
    ? recipe.models
    : (r.models ?? []).map((m) => ({ path: m.path, weight: m.weight ?? 1 }));
  if (r.checkpoints && !('baseDir' in recipe)) notCarried.push('checkpoints: mergekit needs the models listed; resolve the recipe first to expand the folder');
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.parameters ?? {})) {
    if (k === 'seed') notCarried.push('parameters.seed: mergekit draws its own random drops; the result will differ from ours');
    else if (k === 'multiplier' || k === 'decay') continue;
    else params[k] = v;
  }

  let method: string;
  let weights = modelPaths.map((m) => m.weight);
  switch (r.method) {
    case 'mean': method = 'linear'; weights = weights.map(() => 1); break;
    case 'weighted': method = 'linear'; break;
    case 'sum': method = 'linear'; params.normalize = false; break;
    case 'ema': {
      // The EMA over an ordered list is a fixed linear combination: decay^(N−1) for the first, (1−d)·d^(N−1−k) after.
      const d = r.parameters?.decay ?? 0.9;
      const n = modelPaths.length;
      weights = modelPaths.map((_, k) => (k === 0 ? d ** (n - 1) : (1 - d) * d ** (n - 1 - k)));
      method = 'linear';
      params.normalize = false;
      break;
    }
    case 'add_difference': {
      const m = r.parameters?.multiplier ?? 1;
      weights = [1, m, -m];
      method = 'linear';
      params.normalize = false;
      break;
    }
    default: method = r.method;
  }

  const layerParams: Record<string, { filter?: string; value: Value }[]> = {};
  (r.layers ?? []).forEach((rule, i) => {
    const where = `layers[${i}] (${rule.match ?? rule.regex})`;
    if (rule.regex !== undefined) { notCarried.push(`${where}: regex rules have no mergekit form (its filters are substrings)`); return; }
    const f = globToFilter(rule.match!);
    if (rule.exclude) { notCarried.push(`${where}: exclude has no mergekit form`); return; }
    if (rule.from !== undefined) { notCarried.push(`${where}: copying a layer from one model has no mergekit form here`); return; }
    if (rule.weights) notCarried.push(`${where}: per-layer model weights are not carried`);
    for (const [k, v] of Object.entries(rule.parameters ?? {})) {
      if (k === 'weight') { notCarried.push(`${where}: layer strength "weight" has no mergekit form`); continue; }
      if (rule.match === '*') { (layerParams[k] ??= []).push({ value: v }); continue; }
      if (!f) { notCarried.push(`${where}: the glob ${rule.match} is not a plain substring filter`); continue; }
      if (!f.exact) notCarried.push(`${where}: exported as the substring filter "${f.filter}", which may match more names than the glob`);
      (layerParams[k] ??= []).push({ filter: f.filter, value: v });
    }
  });
  for (const [k, entries] of Object.entries(layerParams)) {
    const fallback = params[k];
    const list: { filter?: string; value: Value }[] = entries.filter((e) => e.filter !== undefined);
    const catchAll = entries.find((e) => e.filter === undefined);
    if (catchAll) list.push({ value: catchAll.value });
    else if (typeof fallback === 'number') list.push({ value: fallback });
    params[k] = list.length === 1 && list[0].filter === undefined ? list[0].value : list;
  }

  const cfg: Record<string, unknown> = { merge_method: method };
  const usesWeight = method === 'linear' || ['task_arithmetic', 'ties', 'dare_linear', 'dare_ties', 'breadcrumbs', 'della', 'multislerp'].includes(method);
  if (method === 'slerp') {
    cfg.base_model = modelPaths[0]?.path;
    cfg.models = modelPaths.map((m) => ({ model: m.path }));
  } else {
    if (r.base) cfg.base_model = 'baseDir' in recipe && recipe.base ? recipe.base : r.base;
    cfg.models = modelPaths.map((m, i) => (usesWeight ? { model: m.path, parameters: { weight: weights[i] } } : { model: m.path }));
  }
  if (Object.keys(params).length) cfg.parameters = params;
  const dtype = { f32: 'float32', f16: 'float16', bf16: 'bfloat16', f64: undefined }[r.output.dtype ?? 'f32'];
  if (r.output.dtype) { if (dtype) cfg.dtype = dtype; else notCarried.push(`output dtype ${r.output.dtype}: mergekit writes float32, float16 or bfloat16`); }
  notCarried.push(`output path ${r.output.path}: give it to mergekit on the command line`);
  return { yaml: stringify(cfg, { lineWidth: 0 }), notCarried };
}
