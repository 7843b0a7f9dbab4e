// A mergekit config → our recipe. Its settings (per model, then the slice's, then the config's; each a value, a
// gradient or filter conditions) become recipe parameters, per-model parameters and layer rules with
// `over: blocks`; mergekit's defaults are written out where ours differ, and whatever does not map exactly is
// said in `notCarried`. A config with slices becomes a recipe with slices: each slice's settings resolved on
// their own (their gradients run over the slice's layers, as in mergekit), lifted to the recipe where every
// slice has the same.
import { parse } from 'yaml';
import { getMethod } from './methods';
import { CONFIG_KEYS, MkConfig, filterToGlob, filtersOf, isGradient, same, show, unreachable, valueAt, type MkParams, type Setting, type Value } from './mergekit-config';
import { asBoolean, BOOLEAN_PARAMS, DTYPES, IGNORED, MAPPINGS, rescaleFrom, type Mapping } from './mergekit-methods';
import { parseRecipe, recipeToYaml, type LayerRule, type ModelRef, type ParamScalar, type Recipe, type SliceSpec } from './recipe';

export interface MergekitImport {
  recipe: Recipe;
  notCarried: string[];
}

/** A merged model and its own settings. */
interface Entry { model: string; parameters?: MkParams | null }

/** The models a config merges, its base, and the settings that apply to them at each level. */
interface Scope {
  map: Mapping;
  entries: Entry[];
  base?: string;
  slice: MkParams;
  top: MkParams;
  /** The parameters carried: global ones (mergekit name = ours), and per model (weight among them). */
  carriedGlobal: string[];
  carriedPerModel: string[];
  /** Our method's defaults (an optional global equal to it is not written). */
  ours: Record<string, ParamScalar>;
  /** Where the levels' settings are, for messages: the slice's and each entry's. */
  where: { slice: string; entry: (e: Entry) => string };
}

/** The value each tensor of a slot gets, everything resolved (mergekit's defaults where nothing is set). */
interface Resolved { globals: Record<string, Value | undefined>; perModel: Record<string, Value>[]; weights: Value[] }
interface Slot { filter: string; values: Resolved }
/** What tensors no filter matches get, where it is a scalar: the recipe's parameters and models. */
interface RecipeLevel { parameters: Record<string, ParamScalar>; models: ModelRef[] }

export function importMergekit(text: string, options: { output?: string } = {}): MergekitImport {
  const notCarried: string[] = [];
  const { cfg, map } = readConfig(text, notCarried);
  const body = cfg.slices ? slicedRecipe(cfg, map, notCarried) : plainRecipe(cfg, map, notCarried);
  const recipe: Recipe = { ...body, output: outputOf(cfg, body, options.output, notCarried) };
  // Validate through the normal recipe parser so an import is exactly as strict as a hand-written recipe.
  return { recipe: parseRecipe(recipeToYaml(recipe), 'imported mergekit config'), notCarried };
}

function scopeOf(map: Mapping, entries: Entry[], slice: MkParams, top: MkParams, where: Scope['where'], base?: string): Scope {
  return {
    map, entries, base, slice, top, where,
    carriedGlobal: [...Object.keys(map.globals), ...(map.optional ?? [])],
    carriedPerModel: [...Object.keys(map.perModel), ...(map.weight ? ['weight'] : [])],
    ours: getMethod(map.ours).params.parse({}) as Record<string, ParamScalar>,
  };
}

/** One scope's settings as our method, recipe-level values (scalars) and layer rules. */
function resolveScope(scope: Scope, notCarried: string[]): { method: string; level: RecipeLevel; layers: LayerRule[] } {
  listUncarried(scope, notCarried);
  const { rest, slots } = resolveSlots(scope, notCarried);
  const method = settleLinear(scope.map.ours, rest, slots, notCarried);
  flattenChoices(scope, rest, slots, notCarried);
  const level = recipeLevel(scope, rest);
  return { method, level, layers: layerRules(scope, level, rest, slots) };
}

/** `models:` — every layer of every model, one scope. */
function plainRecipe(cfg: MkConfig, map: Mapping, notCarried: string[]): Omit<Recipe, 'output'> {
  const base = cfg.base_model;
  const entries = mergedEntries(cfg.merge_method, map, cfg.models ?? [], base, notCarried);
  const scope = scopeOf(map, entries, {}, cfg.parameters ?? {}, { slice: 'slices[0].parameters', entry: (e) => `models[${e.model}].parameters` }, base);
  const { method, level, layers } = resolveScope(scope, notCarried);
  return {
    method,
    models: level.models.map((m) => (method === 'weighted' || method === 'sum' || (m.weight !== undefined && m.weight !== 1) || m.parameters ? m : { path: m.path })),
    ...(base && (map.taskVectors || map.base === 'optional') ? { base } : {}),
    ...(Object.keys(level.parameters).length ? { parameters: level.parameters } : {}),
    ...(layers.length ? { layers } : {}),
  };
}

/**
 * `slices:` — each slice a scope of its own (its sources, its settings, the config's), written as a slice of
 * the recipe; parameters and rules every slice shares are lifted to the recipe.
 */
function slicedRecipe(cfg: MkConfig, map: Mapping, notCarried: string[]): Omit<Recipe, 'output'> {
  const base = cfg.base_model;
  const usesBase = map.taskVectors || map.base === 'optional';
  const models: string[] = [];
  const indexOf = (model: string) => { if (!models.includes(model)) models.push(model); return models.indexOf(model); };
  let method: string | undefined;
  const slices = cfg.slices!.map((sl, si): SliceSpec => {
    if (sl.base_model && sl.base_model !== base) notCarried.push(`slices[${si}].base_model ${sl.base_model}: a base per slice is not carried; ${base ?? 'none'} (the config's) is used`);
    // What each slice says about the config's own settings is the same sentence: said once.
    const said: string[] = [];
    const entries = mergedEntries(cfg.merge_method, map, sl.sources, base, said, true);
    const scope = scopeOf(map, entries, sl.parameters ?? {}, cfg.parameters ?? {}, { slice: `slices[${si}].parameters`, entry: (e) => `slices[${si}].sources[${e.model}].parameters` }, base);
    const resolved = resolveScope(scope, said);
    for (const n of said) if (!notCarried.includes(n)) notCarried.push(n);
    if (method !== undefined && resolved.method !== method) notCarried.push(`slices[${si}]: normalize differs between slices; ${method} is used for all`);
    method ??= resolved.method;
    const rangeOf = (model: string) => sl.sources.find((x) => x.model === model)!.layer_range!;
    const baseSource = usesBase && base && sl.sources.some((x) => x.model === base) ? [{ model: 'base' as const, layers: rangeOf(base) }] : [];
    if (usesBase && base && !baseSource.length) notCarried.push(`slices[${si}]: the base ${base} is not among its sources (mergekit stops with an error there); the merge will refuse it`);
    // The catch-all rule holds the gradients (over the slice's layers, as a slice's own values run): they go
    // into the slice and its sources, which take gradients themselves.
    const layers = [...resolved.layers];
    const catchAll = layers[layers.length - 1]?.match === '*' ? layers.pop() : undefined;
    const parameters: Record<string, Value> = { ...resolved.level.parameters, ...catchAll?.parameters };
    return {
      sources: [...baseSource, ...entries.map((e, j) => {
        const lm = resolved.level.models[j];
        const weight = catchAll?.weights?.[j] ?? lm.weight;
        const own = { ...lm.parameters, ...catchAll?.model_parameters?.[j] };
        return { model: indexOf(e.model), layers: rangeOf(e.model), ...(weight !== undefined ? { weight } : {}), ...(Object.keys(own).length ? { parameters: own } : {}) };
      })],
      ...(Object.keys(parameters).length ? { parameters } : {}),
      ...(layers.length ? { layers } : {}),
    };
  });
  // With slices mergekit adds no base to the merge, so a base_model there is the donor of config.json and the
  // tokenizer (passthrough frankenmerges name one): kept as the recipe's base, which only a method that takes one merges.
  const keepBase = base && (usesBase || map.ours !== 'slerp');
  return { method: method!, models: models.map((path) => ({ path })), ...(keepBase ? { base } : {}), ...liftShared(slices) };
}

/** Parameters and rules that every slice has alike go to the recipe (what a single slice has, always). */
function liftShared(slices: SliceSpec[]): Pick<Recipe, 'parameters' | 'layers' | 'slices'> {
  const lifted: Pick<Recipe, 'parameters' | 'layers'> = {};
  const first = slices[0];
  if (first.parameters && slices.every((s) => same(s.parameters, first.parameters)) && Object.values(first.parameters).every((v) => !Array.isArray(v))) {
    lifted.parameters = first.parameters as Record<string, ParamScalar>;
  }
  if (first.layers && slices.every((s) => same(s.layers, first.layers))) lifted.layers = first.layers;
  return {
    ...lifted,
    slices: slices.map(({ parameters, layers, ...rest }) => ({
      ...rest,
      ...(parameters && !lifted.parameters ? { parameters } : {}),
      ...(layers && !lifted.layers ? { layers } : {}),
    })),
  };
}

function readConfig(text: string, notCarried: string[]): { cfg: MkConfig; map: Mapping } {
  const cfg = MkConfig.parse(parse(text));
  const map = MAPPINGS[cfg.merge_method];
  if (!map) throw new Error(`mergekit method "${cfg.merge_method}" has no equivalent here; supported: ${Object.keys(MAPPINGS).join(', ')}`);
  // mergekit's per-module form (`modules: {name: {models|slices}}`) is for models of several modules (a vision
  // tower beside a language model); it is not read here, and an empty import must never pass for one.
  if ((cfg as { modules?: unknown }).modules != null) throw new Error('the config uses modules: (one merge per module of a multi-module model), which is not read here; write it with models: or slices: for a single-module model');
  const inputs = [cfg.models?.length, cfg.slices?.length].filter(Boolean).length;
  if (inputs !== 1) throw new Error(`the config needs exactly one of models: or slices: (as mergekit requires); it has ${inputs ? 'both' : 'neither'}`);
  for (const k of Object.keys(cfg)) if (!CONFIG_KEYS.includes(k)) notCarried.push(`${k}: not used here`);
  return { cfg, map };
}

/**
 * slerp: the base is the t = 0 end; task-vector methods and an optional base (multislerp, nuslerp): the base is
 * apart, not merged; karcher: a base not among the models is merged as one more, as mergekit adds it to the
 * models. `sliced`: a slice's sources, where a base_model the method does not merge is the donor of
 * config.json (kept, nothing to say).
 */
function mergedEntries(method: string, map: Mapping, sources: Entry[], base: string | undefined, notCarried: string[], sliced = false): Entry[] {
  let entries = sources;
  if (map.ours === 'slerp' && base) entries = [...entries.filter((m) => m.model === base), ...entries.filter((m) => m.model !== base)];
  if ((map.taskVectors || map.base === 'optional') && base) entries = entries.filter((m) => m.model !== base);
  if (map.base === 'merged' && base && !sliced && !entries.some((m) => m.model === base)) entries = [...entries, { model: base }];
  if (map.taskVectors && !base) notCarried.push(`base_model: missing; ${method} works on task vectors and needs one (mergekit stops too) — set base in the recipe`);
  if (base && !sliced && !map.taskVectors && !map.base && map.ours !== 'slerp') notCarried.push(`base_model: ${map.ours} does not use a base`);
  return entries;
}

/** Settings nobody here reads, and conditions that never apply. */
function listUncarried(s: Scope, notCarried: string[]): void {
  const levels: [string, MkParams][] = [['parameters', s.top], [s.where.slice, s.slice], ...s.entries.map((m): [string, MkParams] => [s.where.entry(m), m.parameters ?? {}])];
  const known = new Set([...s.carriedGlobal, ...s.carriedPerModel, ...(s.map.inert ?? [])]);
  for (const [where, params] of levels) {
    for (const k of Object.keys(params)) {
      if (known.has(k)) continue;
      notCarried.push(`${where}.${k}: ${IGNORED[k] ?? 'not used here'}`);
    }
  }
  for (const [where, params] of levels) {
    for (const [k, setting] of Object.entries(params)) for (const c of unreachable(setting)) notCarried.push(`${where}.${k}: the condition ${show(c)} comes after one without a filter, so it never applies (in mergekit either)`);
  }
}

// A per-model setting given globally applies to every model (mergekit's fallback), so model settings come first.
const globalChain = (s: Scope, k: string) => [s.slice[k], s.top[k]];
const modelChain = (s: Scope, m: number, k: string) => [s.entries[m].parameters?.[k], s.slice[k], s.top[k]];

function firstOf(chain: (Setting | undefined)[], slot: string | undefined): Value | undefined {
  for (const s of chain) { const v = valueAt(s, slot); if (v !== undefined) return v; }
  return undefined;
}

/**
 * Every filter of a carried setting is a layer rule; a longer filter that contains a shorter one goes first
 * (its names match both, and each setting's own order then decides, as in mergekit).
 */
function layerFilters(s: Scope): string[] {
  const filters: string[] = [];
  const addFilters = (setting: Setting | undefined) => { for (const f of filtersOf(setting)) if (!filters.includes(f)) filters.push(f); };
  for (const k of s.carriedGlobal) globalChain(s, k).forEach(addFilters);
  for (const k of s.carriedPerModel) s.entries.forEach((_, m) => modelChain(s, m, k).forEach(addFilters));
  return filters.sort((a, b) => Number(a.includes(b) && a !== b ? -1 : b.includes(a) && a !== b ? 1 : 0));
}

/** The values for names containing `slot` (undefined: the names no filter matches); what mergekit requires and nobody set goes in `missing`. */
function resolveAt(s: Scope, slot: string | undefined, missing: Set<string>): Resolved {
  const where = slot === undefined ? '' : ` (for names containing "${slot}")`;
  return {
    globals: Object.fromEntries(s.carriedGlobal.map((k) => {
      const raw = firstOf(globalChain(s, k), slot) ?? s.map.globals[k];
      const optional = s.map.optional?.includes(k);
      if (raw === undefined && !optional) missing.add(`${k}${where}`);
      let v = raw !== undefined && BOOLEAN_PARAMS.has(k) ? asBoolean(raw) : raw;
      if (k === 'rescale' && v !== undefined) v = rescaleFrom(v);
      return [k, v ?? (optional ? s.ours[k] : undefined)];
    })),
    perModel: s.entries.map((_, m) => Object.fromEntries(Object.keys(s.map.perModel).map((k) => [k, firstOf(modelChain(s, m, k), slot) ?? s.map.perModel[k]]))),
    weights: s.entries.map((e, m) => {
      if (!s.map.weight) return 1;
      const v = firstOf(modelChain(s, m, 'weight'), slot);
      if (v === undefined) missing.add(`weight of ${e.model}${where}`);
      return v ?? 1;
    }),
  };
}

/** The values of the names no filter matches (`rest`) and of each filter's names. */
function resolveSlots(s: Scope, notCarried: string[]): { rest: Resolved; slots: Slot[] } {
  const missing = new Set<string>();
  const rest = resolveAt(s, undefined, missing);
  const slots = layerFilters(s).map((f) => ({ filter: f, values: resolveAt(s, f, missing) }));
  for (const k of missing) {
    const ours = k.startsWith('weight') ? '1' : show(getMethod(s.map.ours).params.parse({})[k.split(' ')[0]]);
    notCarried.push(`${k}: not set, and mergekit requires it (it stops with "Missing required parameter"); ${ours} is used here`);
  }
  return { rest, slots };
}

/** linear's normalize picks weighted or sum here; it must be one value (taken out of the resolved values). */
function settleLinear(ours: string, rest: Resolved, slots: Slot[], notCarried: string[]): string {
  if (ours !== 'weighted') return ours;
  const normalize = rest.globals.normalize;
  if (slots.some((s) => !same(s.values.globals.normalize, normalize))) notCarried.push('parameters.normalize: filters on normalize are not carried for linear; the value for other tensors is used everywhere');
  delete rest.globals.normalize;
  for (const s of slots) delete s.values.globals.normalize;
  return normalize === false ? 'sum' : ours;
}

/** Booleans and choices cannot vary over layers here: the value for the other tensors is used everywhere. */
function flattenChoices(s: Scope, rest: Resolved, slots: Slot[], notCarried: string[]): void {
  for (const k of s.carriedGlobal) {
    const v = rest.globals[k];
    if (typeof v === 'boolean' || typeof v === 'string') {
      if (slots.some((sl) => !same(sl.values.globals[k], v))) notCarried.push(`parameters.${k}: a per-filter ${k} is not carried; ${show(v)} is used for every tensor`);
      for (const sl of slots) sl.values.globals[k] = v;
    } else if (isGradient(v) && typeof v[0] !== 'number') notCarried.push(`parameters.${k}: not a number gradient`);
  }
}

/** Recipe level: the values of tensors no filter matches, where they are scalars. */
function recipeLevel(s: Scope, rest: Resolved): RecipeLevel {
  const parameters: Record<string, ParamScalar> = {};
  for (const [k, v] of Object.entries(rest.globals)) if (v !== undefined && !isGradient(v) && !(s.map.optional?.includes(k) && same(v, s.ours[k]))) parameters[k] = v;
  const models: ModelRef[] = s.entries.map((e, m) => ({ path: e.model, ...(s.map.weight && !isGradient(rest.weights[m]) ? { weight: rest.weights[m] as number } : {}) }));
  for (const k of Object.keys(s.map.perModel)) {
    const vals = rest.perModel.map((p) => p[k]);
    const scalars = vals.filter((v) => !isGradient(v));
    if (scalars.length === vals.length && vals.every((v) => same(v, vals[0]))) parameters[k] = vals[0] as number;
    else vals.forEach((v, m) => { if (!isGradient(v)) (models[m].parameters ??= {})[k] = v as number; });
  }
  return { parameters, models };
}

/** A rule for one slot: only what differs from the recipe level (which the rule's tensors get otherwise). */
function ruleFor(s: Scope, level: RecipeLevel, match: string, values: Resolved): LayerRule | undefined {
  const rule: LayerRule = { match };
  const params: Record<string, Value> = {};
  for (const [k, v] of Object.entries(values.globals)) if (v !== undefined && !same(v, level.parameters[k] ?? (s.map.optional?.includes(k) ? s.ours[k] : undefined))) params[k] = v;
  const own: Record<string, Value>[] = s.entries.map(() => ({}));
  for (const k of Object.keys(s.map.perModel)) {
    const vals = values.perModel.map((p) => p[k]);
    const differs = vals.map((v, m) => !same(v, level.models[m].parameters?.[k] ?? level.parameters[k]));
    if (!differs.some(Boolean)) continue;
    if (vals.every((v) => same(v, vals[0]))) params[k] = vals[0];
    else vals.forEach((v, m) => { if (differs[m]) own[m][k] = v; });
  }
  if (Object.keys(params).length) rule.parameters = params as LayerRule['parameters'];
  if (own.some((o) => Object.keys(o).length)) rule.model_parameters = own as LayerRule['model_parameters'];
  if (s.map.weight && values.weights.some((w, m) => !same(w, level.models[m].weight ?? 1))) rule.weights = values.weights as number[];
  if (!rule.parameters && !rule.model_parameters && !rule.weights) return undefined;
  const gradients = [...Object.values(params), ...own.flatMap((o) => Object.values(o)), ...(rule.weights ?? [])].some((v) => Array.isArray(v));
  if (gradients) rule.over = 'blocks';
  return rule;
}

/** A rule per filter whose tensors get something else than the rest, then a catch-all where the rest differs from the recipe level. */
function layerRules(s: Scope, level: RecipeLevel, rest: Resolved, slots: Slot[]): LayerRule[] {
  const catchAll = ruleFor(s, level, '*', rest);
  const layers: LayerRule[] = [];
  for (const slot of slots) {
    // A filter whose tensors get what the others get needs no rule (skipping it sends them to the same values).
    if (same(slot.values, rest)) continue;
    layers.push(ruleFor(s, level, filterToGlob(slot.filter), slot.values) ?? { match: filterToGlob(slot.filter), parameters: {} });
  }
  if (catchAll) layers.push(catchAll);
  return layers;
}

/** A path named like a model file is written as that file; anything else as a model folder, mergekit's output. */
const MODEL_FILE = /\.(safetensors|pt|pth|bin|ckpt|onnx)$/i;

function outputOf(cfg: MkConfig, body: Omit<Recipe, 'output'>, path: string | undefined, notCarried: string[]): Recipe['output'] {
  const computeDType = cfg.dtype;
  const outDType = cfg.out_dtype ?? cfg.dtype;
  if (computeDType && computeDType !== 'float32') notCarried.push(`dtype ${computeDType}: mergekit computes in it; here every tensor is computed in float32 and written as ${outDType} (the last bits may differ)`);
  if (outDType && !DTYPES[outDType]) notCarried.push(`dtype ${outDType}: not an output dtype here (f32, f16, bf16)`);
  if (!path) notCarried.push('output: mergekit takes it on the command line; here the merge writes a model folder "merged" into its run\'s own folder unless output.path names one');
  const dtype = outDType && DTYPES[outDType] ? { dtype: DTYPES[outDType] } : {};
  const tokenizer = tokenizerOf(cfg, body, notCarried);
  if (path && MODEL_FILE.test(path)) {
    for (const k of ['tokenizer_source', 'tokenizer', 'chat_template'] as const) if (cfg[k] !== undefined) notCarried.push(`${k}: the output ${path} is one file, with no tokenizer beside it; write a model folder (a path without an extension) to carry it`);
    return { path, ...dtype };
  }
  return { ...(path ? { path } : {}), ...dtype, folder: true, ...(tokenizer !== undefined ? { tokenizer } : {}), ...(cfg.chat_template ? { chat_template: cfg.chat_template } : {}) };
}

/** mergekit's tokenizer_source (or tokenizer.source): base, union, or a model — one of the recipe's, else its path. */
function tokenizerOf(cfg: MkConfig, body: Omit<Recipe, 'output'>, notCarried: string[]): NonNullable<NonNullable<Recipe['output']>['tokenizer']> | undefined {
  if (cfg.tokenizer_source !== undefined && cfg.tokenizer !== undefined) throw new Error('the config gives both tokenizer_source and tokenizer (mergekit refuses both)');
  if (cfg.tokenizer?.tokens) notCarried.push('tokenizer.tokens: embeddings chosen per token are not carried; the tokenizer is written as its source has it');
  if (cfg.tokenizer?.pad_to_multiple_of) notCarried.push('tokenizer.pad_to_multiple_of: padding the vocabulary is not carried');
  const source = cfg.tokenizer_source ?? (cfg.tokenizer ? cfg.tokenizer.source ?? 'union' : undefined);
  if (source === undefined || source === 'base' || source === 'union') return source;
  if (source === body.base) return 'base';
  const i = (body.models ?? []).findIndex((m) => m.path === source);
  return i >= 0 ? i : { path: source };
}
