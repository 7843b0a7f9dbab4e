// mergekit YAML import and export for the methods both tools have. mergekit's settings (a value, a gradient
// over the layer index, or a list of {filter, value} where the first match wins, per model or for all) are
// carried as recipe parameters, per-model parameters and layer rules with `over: blocks`; mergekit's defaults
// are written out explicitly both ways where ours differ. Everything that does not map exactly is listed in
// `notCarried`, in words, so the user knows what changed on the way.
import { parse } from 'yaml';
import { z } from 'zod';
import { getMethod } from './methods';
import { flowNumberLists, parseRecipe, recipeToYaml, type LayerRule, type ModelRef, type ParamScalar, type Recipe, type ResolvedRecipe } from './recipe';

export interface MergekitImport {
  recipe: Recipe;
  notCarried: string[];
}

export interface MergekitExport {
  yaml: string;
  notCarried: string[];
}

/** A value at one place: a scalar, or a gradient over the layer index. */
type Value = ParamScalar | number[];
interface Cond { filter?: string; value: Value }
/** mergekit's ParameterSetting: a value, a gradient, or conditions tried in order. */
type Setting = Value | Cond[];

const MkValue = z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]);
const MkCond = z.object({ filter: z.string().nullish(), value: MkValue }).strict();
const MkSetting = z.union([MkValue, z.array(MkCond), MkCond]).transform((v): Setting => {
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  const conds = Array.isArray(v) ? v as z.infer<typeof MkCond>[] : typeof v === 'object' ? [v as z.infer<typeof MkCond>] : undefined;
  return conds ? conds.map((c) => (c.filter == null ? { value: c.value } : { filter: c.filter, value: c.value })) : v as Value;
});
const MkParams = z.record(z.string(), MkSetting);
const MkModel = z.object({ model: z.string(), parameters: MkParams.nullish() }).passthrough();
const MkSource = z.object({ model: z.string(), layer_range: z.tuple([z.number(), z.number()]).optional(), parameters: MkParams.nullish() }).passthrough();
const MkSlice = z.object({ sources: z.array(MkSource), base_model: z.string().optional(), parameters: MkParams.nullish() }).passthrough();
const MkConfig = z.object({
  merge_method: z.string(),
  base_model: z.string().optional(),
  models: z.array(MkModel).optional(),
  slices: z.array(MkSlice).optional(),
  parameters: MkParams.nullish(),
  dtype: z.string().optional(),
  out_dtype: z.string().optional(),
}).passthrough();
type MkParams = z.infer<typeof MkParams>;

/** How one mergekit method maps: ours, its global and per-model parameters, and mergekit's defaults. */
interface Mapping {
  ours: string;
  /** Global parameters carried (mergekit name = ours), with mergekit's defaults. */
  globals: Record<string, ParamScalar | undefined>;
  /** Per-model parameters carried besides `weight`, with mergekit's defaults. */
  perModel: Record<string, number>;
  /** Takes a per-model weight. */
  weight: boolean;
  /** Works on task vectors: the base is not one of the merged models. */
  taskVectors: boolean;
}

const gta = (ours: string, normalize: boolean, rescale: boolean | undefined, perModel: Record<string, number>): Mapping => ({
  ours,
  globals: { normalize, lambda: 1, ...(rescale === undefined ? {} : { rescale }) },
  perModel,
  weight: true,
  taskVectors: true,
});

/** mergekit's registry (mergekit/merge_methods/registry.py) for the methods we have. */
const MAPPINGS: Record<string, Mapping> = {
  linear: { ours: 'weighted', globals: { normalize: true }, perModel: {}, weight: true, taskVectors: false },
  slerp: { ours: 'slerp', globals: { t: undefined }, perModel: {}, weight: false, taskVectors: false },
  multislerp: { ours: 'multislerp', globals: {}, perModel: {}, weight: true, taskVectors: false },
  model_stock: { ours: 'model_stock', globals: {}, perModel: {}, weight: false, taskVectors: true },
  task_arithmetic: gta('task_arithmetic', false, undefined, {}),
  ties: gta('ties', true, undefined, { density: 1 }),
  dare_linear: gta('dare_linear', false, true, { density: 1 }),
  dare_ties: gta('dare_ties', false, true, { density: 1 }),
  breadcrumbs: gta('breadcrumbs', false, undefined, { density: 1, gamma: 0.01 }),
  breadcrumbs_ties: gta('breadcrumbs_ties', false, undefined, { density: 1, gamma: 0.01 }),
  della: gta('della', true, true, { density: 1, epsilon: 0.15 }),
  della_linear: gta('della_linear', false, true, { density: 1, epsilon: 0.15 }),
};

/** Parameters mergekit takes that change nothing in the result (or that we cannot take), with why. */
const IGNORED: Record<string, string> = {
  int8_mask: 'mergekit keeps its sign masks as int8 to save memory; the result is the same, nothing to carry',
};

const DTYPES: Record<string, 'f32' | 'f16' | 'bf16'> = { float32: 'f32', float16: 'f16', bfloat16: 'bf16', fp16: 'f16', bf16: 'bf16' };
const MK_DTYPES = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' } as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isGradient = (v: Value | undefined): v is number[] => Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v);

/**
 * A setting's value for tensors whose names contain `filter` (undefined: names that contain no filter of the
 * config). mergekit tries the conditions in order: no filter (or "*") matches every name, and a filter that
 * `filter` contains matches every name containing `filter`. Undefined: no condition applies (the next level
 * — the config's top-level parameters — is asked then).
 */
function valueAt(setting: Setting | undefined, filter: string | undefined): Value | undefined {
  if (setting === undefined) return undefined;
  if (!Array.isArray(setting) || setting.every((x) => typeof x === 'number')) return setting as Value;
  for (const c of setting as Cond[]) {
    if (c.filter === undefined || c.filter === '*' || (filter !== undefined && filter.includes(c.filter))) return c.value;
  }
  return undefined;
}

function filtersOf(setting: Setting | undefined): string[] {
  if (!Array.isArray(setting) || setting.every((x) => typeof x === 'number')) return [];
  return (setting as Cond[]).flatMap((c) => (c.filter === undefined || c.filter === '*' ? [] : [c.filter]));
}

/** Conditions after one without a filter never apply, in mergekit as here. */
function unreachable(setting: Setting | undefined): Cond[] {
  if (!Array.isArray(setting) || setting.every((x) => typeof x === 'number')) return [];
  const conds = setting as Cond[];
  const at = conds.findIndex((c) => c.filter === undefined || c.filter === '*');
  return at < 0 ? [] : conds.slice(at + 1);
}

/** mergekit filters are substrings of tensor names; our globs anchor both ends. */
function filterToGlob(filter: string): string {
  return `*${filter}*`;
}

/** A glob that is exactly "contains X" (or starts/ends with X, close enough to say so) as a mergekit filter. */
function globToFilter(glob: string): { filter: string; exact: boolean } | undefined {
  const inner = glob.replace(/^\*/, '').replace(/\*$/, '');
  if (/[*?]/.test(inner) || inner === '') return undefined;
  return { filter: inner, exact: glob.startsWith('*') && glob.endsWith('*') };
}

/** mergekit's `rescale` (a boolean, true = the L1 rescale) to ours and back. */
const rescaleFrom = (v: Value) => (v === true ? 'l1' : v === false ? 'none' : v);

export function importMergekit(text: string, options: { output?: string } = {}): MergekitImport {
  const notCarried: string[] = [];
  const cfg = MkConfig.parse(parse(text));
  const map = MAPPINGS[cfg.merge_method];
  if (!map) throw new Error(`mergekit method "${cfg.merge_method}" has no equivalent here; supported: ${Object.keys(MAPPINGS).join(', ')}`);
  for (const k of Object.keys(cfg)) {
    if (!['merge_method', 'base_model', 'models', 'slices', 'parameters', 'dtype', 'out_dtype'].includes(k)) notCarried.push(`${k}: not used here`);
  }

  // The models and the settings that apply to them: per model, then the slice's, then the config's.
  let sources: { model: string; parameters?: MkParams | null }[];
  let sliceParams: MkParams = {};
  let base = cfg.base_model;
  if (cfg.slices?.length) {
    if (cfg.models) notCarried.push('models: ignored, the config also has slices (mergekit refuses both)');
    const first = cfg.slices[0];
    if (cfg.slices.length > 1) notCarried.push(`slices: ${cfg.slices.length} slices stack layer ranges of the models (passthrough-style); only the first slice's models and parameters are used, and every layer is merged`);
    const ranges = first.sources.map((s) => s.layer_range);
    if (ranges.some((r) => r && !same(r, ranges[0]))) notCarried.push(`slices[0].layer_range: the sources take different layers (${ranges.map(show).join(', ')}); every layer of each model is merged with the same layer of the others`);
    else if (ranges[0]) notCarried.push(`slices[0].layer_range ${show(ranges[0])}: taken as all the models' layers${ranges[0][0] !== 0 ? ' (mergekit would take only these)' : ''}; gradients run over all the numbered blocks of the models`);
    sources = first.sources;
    sliceParams = first.parameters ?? {};
    if (first.base_model) base = first.base_model;
  } else {
    sources = cfg.models ?? [];
  }
  const top: MkParams = cfg.parameters ?? {};

  // slerp: the base is the t = 0 end; task-vector methods: the base is apart, not merged.
  let entries = sources;
  if (map.ours === 'slerp' && base) entries = [...entries.filter((m) => m.model === base), ...entries.filter((m) => m.model !== base)];
  if (map.taskVectors && base) entries = entries.filter((m) => m.model !== base);
  if (map.taskVectors && !base) notCarried.push(`base_model: missing; ${cfg.merge_method} works on task vectors and needs one (mergekit stops too) — set base in the recipe`);
  if (base && !map.taskVectors && map.ours !== 'slerp' && map.ours !== 'multislerp') notCarried.push(`base_model: ${map.ours} does not use a base`);

  // Which parameters exist where, and what nobody here reads.
  const carriedGlobal = Object.keys(map.globals);
  const carriedPerModel = [...Object.keys(map.perModel), ...(map.weight ? ['weight'] : [])];
  const known = new Set([...carriedGlobal, ...carriedPerModel]);
  const listUnused = (params: MkParams, where: string) => {
    for (const k of Object.keys(params)) {
      if (known.has(k)) continue;
      if (k === 'filter_wise' && map.ours === 'model_stock' && valueAt(params[k], undefined) === false) continue;
      if (k === 'normalize_weights' && map.ours === 'multislerp' && valueAt(params[k], undefined) === true) continue;
      notCarried.push(`${where}${k}: ${IGNORED[k] ?? 'not used here'}`);
    }
  };
  listUnused(top, 'parameters.');
  listUnused(sliceParams, 'slices[0].parameters.');
  entries.forEach((m) => listUnused(m.parameters ?? {}, `models[${m.model}].parameters.`));
  for (const [where, params] of [['parameters', top], ['slices[0].parameters', sliceParams], ...entries.map((m) => [`models[${m.model}].parameters`, m.parameters ?? {}] as const)] as const) {
    for (const [k, s] of Object.entries(params)) for (const c of unreachable(s)) notCarried.push(`${where}.${k}: the condition ${show(c)} comes after one without a filter, so it never applies (in mergekit either)`);
  }
  // A per-model setting given globally applies to every model (mergekit's fallback), so model settings come first.
  const globalChain = (k: string) => [sliceParams[k], top[k]];
  const modelChain = (m: number, k: string) => [entries[m].parameters?.[k], sliceParams[k], top[k]];

  // Every filter of a carried setting is a layer rule; a longer filter that contains a shorter one goes first
  // (its names match both, and each setting's own order then decides, as in mergekit).
  const filters: string[] = [];
  const addFilters = (s: Setting | undefined) => { for (const f of filtersOf(s)) if (!filters.includes(f)) filters.push(f); };
  for (const k of carriedGlobal) globalChain(k).forEach(addFilters);
  for (const k of carriedPerModel) entries.forEach((_, m) => modelChain(m, k).forEach(addFilters));
  filters.sort((a, b) => Number(a.includes(b) && a !== b ? -1 : b.includes(a) && a !== b ? 1 : 0));

  const firstOf = (chain: (Setting | undefined)[], slot: string | undefined) => {
    for (const s of chain) { const v = valueAt(s, slot); if (v !== undefined) return v; }
    return undefined;
  };
  // The value each tensor of a slot gets, everything resolved (mergekit's defaults where nothing is set).
  interface Resolved { globals: Record<string, Value | undefined>; perModel: Record<string, Value>[]; weights: Value[] }
  const missing = new Set<string>();
  const resolve = (slot: string | undefined): Resolved => ({
    globals: Object.fromEntries(carriedGlobal.map((k) => {
      const v = firstOf(globalChain(k), slot) ?? map.globals[k];
      if (v === undefined) missing.add(`${k}${slot === undefined ? '' : ` (for names containing "${slot}")`}`);
      return [k, k === 'rescale' && v !== undefined ? rescaleFrom(v) : v];
    })),
    perModel: entries.map((_, m) => Object.fromEntries(Object.keys(map.perModel).map((k) => [k, firstOf(modelChain(m, k), slot) ?? map.perModel[k]]))),
    weights: entries.map((e, m) => {
      if (!map.weight) return 1;
      const v = firstOf(modelChain(m, 'weight'), slot);
      if (v === undefined) missing.add(`weight of ${e.model}${slot === undefined ? '' : ` (for names containing "${slot}")`}`);
      return v ?? 1;
    }),
  });
  const rest = resolve(undefined);
  const slots = filters.map((f) => ({ filter: f, values: resolve(f) }));
  for (const k of missing) {
    const ours = k.startsWith('weight') ? '1' : show(getMethod(map.ours).params.parse({})[k.split(' ')[0]]);
    notCarried.push(`${k}: not set, and mergekit requires it (it stops with "Missing required parameter"); ${ours} is used here`);
  }

  // linear's normalize picks weighted or sum here; it must be one value.
  let ours = map.ours;
  if (ours === 'weighted') {
    const normalize = rest.globals.normalize;
    if (slots.some((s) => !same(s.values.globals.normalize, normalize))) notCarried.push('parameters.normalize: filters on normalize are not carried for linear; the value for other tensors is used everywhere');
    if (normalize === false) ours = 'sum';
    delete rest.globals.normalize;
    for (const s of slots) delete s.values.globals.normalize;
  }
  // Booleans and choices cannot vary over layers here: the value for the other tensors is used everywhere.
  for (const k of carriedGlobal) {
    const v = rest.globals[k];
    if (typeof v === 'boolean' || typeof v === 'string') {
      if (slots.some((s) => !same(s.values.globals[k], v))) notCarried.push(`parameters.${k}: a per-filter ${k} is not carried; ${show(v)} is used for every tensor`);
      for (const s of slots) s.values.globals[k] = v;
    } else if (isGradient(v) && typeof v[0] !== 'number') notCarried.push(`parameters.${k}: not a number gradient`);
  }

  // Recipe level: the values of tensors no filter matches, where they are scalars.
  const parameters: Record<string, ParamScalar> = {};
  for (const [k, v] of Object.entries(rest.globals)) if (v !== undefined && !isGradient(v)) parameters[k] = v;
  const models: ModelRef[] = entries.map((e, m) => ({ path: e.model, ...(map.weight && !isGradient(rest.weights[m]) ? { weight: rest.weights[m] as number } : {}) }));
  for (const k of Object.keys(map.perModel)) {
    const vals = rest.perModel.map((p) => p[k]);
    const scalars = vals.filter((v) => !isGradient(v));
    if (scalars.length === vals.length && vals.every((v) => same(v, vals[0]))) parameters[k] = vals[0] as number;
    else vals.forEach((v, m) => { if (!isGradient(v)) (models[m].parameters ??= {})[k] = v as number; });
  }
  const recipeLevel = {
    global: (k: string) => parameters[k],
    perModel: (m: number, k: string) => models[m].parameters?.[k] ?? parameters[k],
    weight: (m: number) => models[m].weight ?? 1,
  };

  /** A rule for one slot: only what differs from the recipe level (which the rule's tensors get otherwise). */
  const ruleFor = (match: string, values: Resolved): LayerRule | undefined => {
    const rule: LayerRule = { match };
    const params: Record<string, Value> = {};
    for (const [k, v] of Object.entries(values.globals)) if (v !== undefined && !same(v, recipeLevel.global(k))) params[k] = v;
    const own: Record<string, Value>[] = entries.map(() => ({}));
    for (const k of Object.keys(map.perModel)) {
      const vals = values.perModel.map((p) => p[k]);
      const differs = vals.map((v, m) => !same(v, recipeLevel.perModel(m, k)));
      if (!differs.some(Boolean)) continue;
      if (vals.every((v) => same(v, vals[0]))) params[k] = vals[0];
      else vals.forEach((v, m) => { if (differs[m]) own[m][k] = v; });
    }
    if (Object.keys(params).length) rule.parameters = params as LayerRule['parameters'];
    if (own.some((o) => Object.keys(o).length)) rule.model_parameters = own as LayerRule['model_parameters'];
    if (map.weight && values.weights.some((w, m) => !same(w, recipeLevel.weight(m)))) rule.weights = values.weights as number[];
    if (!rule.parameters && !rule.model_parameters && !rule.weights) return undefined;
    const gradients = [...Object.values(params), ...own.flatMap((o) => Object.values(o)), ...(rule.weights ?? [])].some((v) => Array.isArray(v));
    if (gradients) rule.over = 'blocks';
    return rule;
  };
  const catchAll = ruleFor('*', rest);
  const layers: LayerRule[] = [];
  for (const s of slots) {
    // A filter whose tensors get what the others get needs no rule (skipping it sends them to the same values).
    if (same(s.values, rest)) continue;
    const rule = ruleFor(filterToGlob(s.filter), s.values) ?? { match: filterToGlob(s.filter), parameters: {} };
    layers.push(rule);
  }
  if (catchAll) layers.push(catchAll);
  const computeDType = cfg.dtype;
  const outDType = cfg.out_dtype ?? cfg.dtype;
  if (computeDType && computeDType !== 'float32') notCarried.push(`dtype ${computeDType}: mergekit computes in it; here every tensor is computed in float32 and written as ${outDType} (the last bits may differ)`);
  if (outDType && !DTYPES[outDType]) notCarried.push(`dtype ${outDType}: not an output dtype here (f32, f16, bf16)`);

  const recipe: Recipe = {
    method: ours,
    models: models.map((m) => (ours === 'weighted' || ours === 'sum' || (m.weight !== undefined && m.weight !== 1) || m.parameters ? m : { path: m.path })),
    ...(base && (map.taskVectors || ours === 'multislerp') ? { base } : {}),
    ...(Object.keys(parameters).length ? { parameters } : {}),
    ...(layers.length ? { layers } : {}),
    ...(options.output || (outDType && DTYPES[outDType]) ? { output: { ...(options.output ? { path: options.output } : {}), ...(outDType && DTYPES[outDType] ? { dtype: DTYPES[outDType] } : {}) } } : {}),
  };
  if (!options.output) notCarried.push('output: mergekit takes it on the command line; here the merge writes into its run\'s own folder unless output.path names a file');
  // Validate through the normal recipe parser so an import is exactly as strict as a hand-written recipe.
  return { recipe: parseRecipe(recipeToYaml(recipe), 'imported mergekit config'), notCarried };
}

/** Our method → mergekit's, and the per-model parameters it has there. */
const TO_MERGEKIT: Record<string, string> = {
  task_arithmetic: 'task_arithmetic', ties: 'ties', dare_linear: 'dare_linear', dare_ties: 'dare_ties', breadcrumbs: 'breadcrumbs',
  breadcrumbs_ties: 'breadcrumbs_ties', della: 'della', della_linear: 'della_linear', model_stock: 'model_stock', slerp: 'slerp', multislerp: 'multislerp',
};

/** A mergekit setting from per-rule values and the value elsewhere: a plain value when they are all the same. */
function settingOf(entries: { filter?: string; value: Value }[], fallback: Value | undefined): Setting | undefined {
  const all = fallback === undefined ? entries : [...entries, { value: fallback }];
  if (all.length === 0) return undefined;
  if (all.every((e) => same(e.value, all[0].value)) && (fallback !== undefined || all.every((e) => e.filter === undefined))) return all[0].value;
  return all.map((e) => (e.filter === undefined ? { value: e.value } : { filter: e.filter, value: e.value }));
}

/** True when some density below 1 makes the random drops drop something (at density 1 nothing is random). */
function dropsAnything(r: Recipe, params: Record<string, ParamScalar>): boolean {
  const values: unknown[] = [params.density, ...(r.models ?? []).map((m) => m.parameters?.density)];
  for (const rule of r.layers ?? []) values.push(rule.parameters?.density, ...(rule.model_parameters ?? []).map((p) => p.density));
  return values.flat().some((d) => typeof d === 'number' && d < 1);
}

/** Our recipe → a mergekit config, with the weights that make it exact where a linear form exists. */
export function exportMergekit(recipe: Recipe | ResolvedRecipe): MergekitExport {
  const resolved = 'recipe' in recipe && 'baseDir' in recipe ? recipe : undefined;
  const r: Recipe = resolved ? resolved.recipe : (recipe as Recipe);
  const notCarried: string[] = [];
  const modelList: { path: string; weight: number; parameters?: Record<string, ParamScalar> }[] = resolved
    ? resolved.models
    : (r.models ?? []).map((m) => ({ path: m.path, weight: m.weight ?? 1, ...(m.parameters ? { parameters: m.parameters } : {}) }));
  if (r.align) notCarried.push('align: mergekit does not permute models; run merge-studio align first and export a recipe of the aligned files');
  if (r.checkpoints && !resolved) notCarried.push('checkpoints: mergekit needs the models listed; resolve the recipe first to expand the folder');
  const method = getMethod(r.method);
  const defaults = method.params.parse({}) as Record<string, ParamScalar>;
  // Our parameters with our defaults filled in: mergekit's defaults differ (density 1, dare_ties' normalize…).
  const ourParams: Record<string, ParamScalar> = { ...defaults, ...(r.parameters ?? {}) };
  const perModelKeys = method.perModel ?? [];
  const params: Record<string, unknown> = {};

  let mkMethod: string;
  let weights = modelList.map((m) => m.weight);
  let linear = false;
  switch (r.method) {
    case 'mean': mkMethod = 'linear'; weights = weights.map(() => 1); linear = true; params.normalize = true; break;
    case 'weighted': mkMethod = 'linear'; linear = true; params.normalize = true; break;
    case 'sum': mkMethod = 'linear'; linear = true; params.normalize = false; break;
    case 'ema': {
      // The EMA over an ordered list is a fixed linear combination: decay^(N−1) for the first, (1−d)·d^(N−1−k) after.
      const d = Number(ourParams.decay ?? 0.9);
      const n = modelList.length;
      weights = modelList.map((_, k) => (k === 0 ? d ** (n - 1) : (1 - d) * d ** (n - 1 - k)));
      mkMethod = 'linear'; linear = true; params.normalize = false;
      break;
    }
    case 'add_difference': {
      const m = Number(ourParams.multiplier ?? 1);
      weights = [1, m, -m];
      mkMethod = 'linear'; linear = true; params.normalize = false;
      break;
    }
    default: {
      const mk = TO_MERGEKIT[r.method];
      if (!mk) throw new Error(`${r.method} has no mergekit equivalent`);
      mkMethod = mk;
    }
  }
  const usesWeight = linear || (method.usesWeights && mkMethod !== 'slerp');
  if (!linear) {
    for (const [k, v] of Object.entries(ourParams)) {
      if (k === 'seed') { if (['dare_linear', 'dare_ties', 'della', 'della_linear'].includes(r.method) && dropsAnything(r, ourParams)) notCarried.push('parameters.seed: mergekit draws its own random drops; the tensors will differ from ours (their statistics agree)'); continue; }
      if (k === 'rescale') {
        if (v === 'inverse') notCarried.push('parameters.rescale: inverse (each kept entry × 1/p) has no mergekit form; written as rescale: true, mergekit\'s one L1 scalar per tensor');
        params.rescale = v !== 'none';
        continue;
      }
      if (!perModelKeys.includes(k)) params[k] = v;
    }
  }

  // Layer rules as mergekit conditions, in order (the first match wins in both).
  interface Slot { filter?: string; rule: LayerRule }
  const slots: Slot[] = [];
  let reachedCatchAll = false;
  (r.layers ?? []).forEach((rule, i) => {
    const where = `layers[${i}] (${rule.match ?? rule.regex})`;
    if (reachedCatchAll) { notCarried.push(`${where}: comes after a "*" rule, so it never applies`); return; }
    if (rule.regex !== undefined) { notCarried.push(`${where}: regex rules have no mergekit form (its filters are substrings)`); return; }
    if (rule.exclude) { notCarried.push(`${where}: exclude has no mergekit form`); return; }
    if (rule.from !== undefined) { notCarried.push(`${where}: copying a layer from one model has no mergekit form here`); return; }
    if (rule.parameters?.weight !== undefined) notCarried.push(`${where}: layer strength "weight" has no mergekit form`);
    const values = [...Object.values(rule.parameters ?? {}), ...(rule.weights ?? []), ...(rule.model_parameters ?? []).flatMap((o) => Object.values(o))];
    if (rule.over !== 'blocks' && values.some((v) => Array.isArray(v))) {
      notCarried.push(`${where}: its gradients run over the rule's layers in file order; mergekit's run over the layer index (as with over: blocks), so the values per layer will differ`);
    }
    if (rule.match === '*') { reachedCatchAll = true; slots.push({ rule }); return; }
    const f = globToFilter(rule.match!);
    if (!f) { notCarried.push(`${where}: the glob ${rule.match} is not a plain substring filter`); return; }
    if (!f.exact) notCarried.push(`${where}: exported as the substring filter "${f.filter}", which may match more names than the glob`);
    slots.push({ filter: f.filter, rule });
  });
  const filtered = slots.filter((s) => s.filter !== undefined);
  const catchAll = slots.find((s) => s.filter === undefined)?.rule;

  // Global parameters: a condition per rule that sets them, the recipe's value for the rest.
  if (!linear) {
    for (const k of Object.keys(params)) {
      if (perModelKeys.includes(k) || typeof params[k] === 'boolean') continue;
      if (!slots.some((s) => s.rule.parameters?.[k] !== undefined)) continue;
      const at = (rule: LayerRule) => (rule.parameters?.[k] ?? params[k]) as Value;
      params[k] = settingOf(filtered.map((s) => ({ filter: s.filter, value: at(s.rule) })), catchAll ? at(catchAll) : params[k] as Value);
    }
  }
  // Per-model parameters and weights: a setting per model (mergekit's per-model values win over its global ones).
  const ownAt = (m: number, k: string, rule?: LayerRule): Value => (rule?.model_parameters?.[m]?.[k] ?? rule?.parameters?.[k] ?? modelList[m].parameters?.[k] ?? ourParams[k]) as Value;
  const perModel: Record<string, Setting | undefined>[] = modelList.map(() => ({}));
  for (const k of perModelKeys) {
    const settings = modelList.map((_, m) => settingOf(filtered.map((s) => ({ filter: s.filter, value: ownAt(m, k, s.rule) })), ownAt(m, k, catchAll)));
    if (settings.every((s) => same(s, settings[0]))) params[k] = settings[0];
    else settings.forEach((s, m) => { perModel[m][k] = s; });
  }
  const weightAt = (m: number, rule?: LayerRule): Value => (rule?.weights?.[m] ?? weights[m]) as Value;
  const weightSettings = modelList.map((_, m) => (linear && slots.length === 0 ? weights[m] : settingOf(filtered.map((s) => ({ filter: s.filter, value: weightAt(m, s.rule) })), weightAt(m, catchAll))));

  const cfg: Record<string, unknown> = { merge_method: mkMethod };
  const base = resolved ? resolved.base : r.base;
  if (mkMethod === 'slerp') {
    cfg.base_model = modelList[0]?.path;
    cfg.models = modelList.map((m) => ({ model: m.path }));
  } else {
    if (base) cfg.base_model = base;
    cfg.models = modelList.map((m, i) => {
      const p: Record<string, unknown> = { ...(usesWeight ? { weight: weightSettings[i] } : {}), ...Object.fromEntries(Object.entries(perModel[i]).filter(([, v]) => v !== undefined)) };
      return Object.keys(p).length ? { model: m.path, parameters: p } : { model: m.path };
    });
  }
  if (Object.keys(params).length) cfg.parameters = params;
  // mergekit's dtype is the one it computes in; ours is float32, then written as the output dtype.
  const out = r.output?.dtype;
  if (out === 'f64') notCarried.push('output dtype f64: mergekit writes float32, float16 or bfloat16');
  cfg.dtype = 'float32';
  if (out && out !== 'f64' && out !== 'f32') cfg.out_dtype = MK_DTYPES[out];
  if (!out) notCarried.push('output dtype: unset here (each tensor keeps its model\'s type); mergekit writes float32 as exported');
  if (r.output?.path) notCarried.push(`output path ${r.output.path}: give it to mergekit on the command line`);
  return { yaml: flowNumberLists(cfg, { flowCollectionPadding: false, lineWidth: 0 }), notCarried };
}
