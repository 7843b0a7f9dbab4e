// A mergekit config → our recipe. Its settings (per model, then the slice's, then the config's; each a value, a
// gradient or filter conditions) become recipe parameters, per-model parameters and layer rules with
// `over: blocks`; mergekit's defaults are written out where ours differ, and whatever does not map exactly is
// said in `notCarried`.
import { parse } from 'yaml';
import { getMethod } from './methods';
import { CONFIG_KEYS, MkConfig, filterToGlob, filtersOf, isGradient, same, show, unreachable, valueAt, type MkParams, type Setting, type Value } from './mergekit-config';
import { asBoolean, BOOLEAN_PARAMS, DTYPES, IGNORED, MAPPINGS, rescaleFrom, type Mapping } from './mergekit-methods';
import { parseRecipe, recipeToYaml, type LayerRule, type ModelRef, type ParamScalar, type Recipe } from './recipe';

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
}

/** The value each tensor of a slot gets, everything resolved (mergekit's defaults where nothing is set). */
interface Resolved { globals: Record<string, Value | undefined>; perModel: Record<string, Value>[]; weights: Value[] }
interface Slot { filter: string; values: Resolved }
/** What tensors no filter matches get, where it is a scalar: the recipe's parameters and models. */
interface RecipeLevel { parameters: Record<string, ParamScalar>; models: ModelRef[] }

export function importMergekit(text: string, options: { output?: string } = {}): MergekitImport {
  const notCarried: string[] = [];
  const { cfg, map } = readConfig(text, notCarried);
  const { sources, slice, base } = sourcesOf(cfg, notCarried);
  const entries = mergedEntries(cfg.merge_method, map, sources, base, notCarried);
  const scope: Scope = {
    map, entries, base, slice, top: cfg.parameters ?? {},
    carriedGlobal: [...Object.keys(map.globals), ...(map.optional ?? [])],
    carriedPerModel: [...Object.keys(map.perModel), ...(map.weight ? ['weight'] : [])],
    ours: getMethod(map.ours).params.parse({}) as Record<string, ParamScalar>,
  };
  listUncarried(scope, notCarried);
  const { rest, slots } = resolveSlots(scope, notCarried);
  const method = settleLinear(map.ours, rest, slots, notCarried);
  flattenChoices(scope, rest, slots, notCarried);
  const level = recipeLevel(scope, rest);
  const layers = layerRules(scope, level, rest, slots);
  const output = outputOf(cfg, options.output, notCarried);
  const recipe: Recipe = {
    method,
    models: level.models.map((m) => (method === 'weighted' || method === 'sum' || (m.weight !== undefined && m.weight !== 1) || m.parameters ? m : { path: m.path })),
    ...(base && (map.taskVectors || method === 'multislerp') ? { base } : {}),
    ...(Object.keys(level.parameters).length ? { parameters: level.parameters } : {}),
    ...(layers.length ? { layers } : {}),
    output,
  };
  // Validate through the normal recipe parser so an import is exactly as strict as a hand-written recipe.
  return { recipe: parseRecipe(recipeToYaml(recipe), 'imported mergekit config'), notCarried };
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

/** The models listed (the first slice's sources when there are slices), the slice's settings and the base. */
function sourcesOf(cfg: MkConfig, notCarried: string[]): { sources: Entry[]; slice: MkParams; base?: string } {
  if (!cfg.slices?.length) return { sources: cfg.models ?? [], slice: {}, base: cfg.base_model };
  if (cfg.models) notCarried.push('models: ignored, the config also has slices (mergekit refuses both)');
  const first = cfg.slices[0];
  if (cfg.slices.length > 1) notCarried.push(`slices: ${cfg.slices.length} slices stack layer ranges of the models (passthrough-style); only the first slice's models and parameters are used, and every layer is merged`);
  const ranges = first.sources.map((s) => s.layer_range);
  if (ranges.some((r) => r && !same(r, ranges[0]))) notCarried.push(`slices[0].layer_range: the sources take different layers (${ranges.map(show).join(', ')}); every layer of each model is merged with the same layer of the others`);
  else if (ranges[0]) notCarried.push(`slices[0].layer_range ${show(ranges[0])}: taken as all the models' layers${ranges[0][0] !== 0 ? ' (mergekit would take only these)' : ''}; gradients run over all the numbered blocks of the models`);
  return { sources: first.sources, slice: first.parameters ?? {}, base: first.base_model || cfg.base_model };
}

/** slerp: the base is the t = 0 end; task-vector methods: the base is apart, not merged. */
function mergedEntries(method: string, map: Mapping, sources: Entry[], base: string | undefined, notCarried: string[]): Entry[] {
  let entries = sources;
  if (map.ours === 'slerp' && base) entries = [...entries.filter((m) => m.model === base), ...entries.filter((m) => m.model !== base)];
  if (map.taskVectors && base) entries = entries.filter((m) => m.model !== base);
  if (map.taskVectors && !base) notCarried.push(`base_model: missing; ${method} works on task vectors and needs one (mergekit stops too) — set base in the recipe`);
  if (base && !map.taskVectors && map.ours !== 'slerp' && map.ours !== 'multislerp') notCarried.push(`base_model: ${map.ours} does not use a base`);
  return entries;
}

/** Settings nobody here reads, and conditions that never apply. */
function listUncarried(s: Scope, notCarried: string[]): void {
  const levels: [string, MkParams][] = [['parameters', s.top], ['slices[0].parameters', s.slice], ...s.entries.map((m): [string, MkParams] => [`models[${m.model}].parameters`, m.parameters ?? {}])];
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

function outputOf(cfg: MkConfig, path: string | undefined, notCarried: string[]): Recipe['output'] {
  const computeDType = cfg.dtype;
  const outDType = cfg.out_dtype ?? cfg.dtype;
  if (computeDType && computeDType !== 'float32') notCarried.push(`dtype ${computeDType}: mergekit computes in it; here every tensor is computed in float32 and written as ${outDType} (the last bits may differ)`);
  if (outDType && !DTYPES[outDType]) notCarried.push(`dtype ${outDType}: not an output dtype here (f32, f16, bf16)`);
  if (!path) notCarried.push('output: mergekit takes it on the command line; set output.path (merged.safetensors for now)');
  return { path: path ?? 'merged.safetensors', ...(outDType && DTYPES[outDType] ? { dtype: DTYPES[outDType] } : {}) };
}
