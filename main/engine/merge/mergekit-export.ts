// Our recipe → a mergekit config, with the weights that make it exact where a linear form exists (EMA,
// add_difference). Layer rules become filter conditions; whatever does not map exactly is said in `notCarried`.
import { getMethod } from './methods';
import { globToFilter, same, settingOf, type Setting, type Value } from './mergekit-config';
import { MK_DTYPES, TO_MERGEKIT } from './mergekit-methods';
import { flowNumberLists, mergedSources, type LayerRule, type ParamScalar, type Recipe, type ResolvedRecipe, type SliceSpec } from './recipe';

export interface MergekitExport {
  yaml: string;
  notCarried: string[];
}

/** A merged model: its path, weight (a gradient over a slice's layers, in a slice) and own parameters. */
type ModelEntry = { path: string; weight: number; parameters?: Record<string, ParamScalar> };
/** mergekit's method for ours, and the per-model weights it takes ours with. */
interface MethodForm { mkMethod: string; weights: number[]; linear: boolean; params: Record<string, unknown> }
/** A layer rule as a mergekit condition: its substring filter, none for the catch-all "*". */
interface RuleSlot { filter?: string; rule: LayerRule }

export function exportMergekit(recipe: Recipe | ResolvedRecipe): MergekitExport {
  const notCarried: string[] = [];
  const resolved = 'recipe' in recipe && 'baseDir' in recipe ? recipe : undefined;
  const r: Recipe = resolved ? resolved.recipe : (recipe as Recipe);
  // mergekit reads model folders: a resolved recipe's model folders are named, not their weights files.
  const modelList: ModelEntry[] = resolved
    ? resolved.models.map((m) => ({ path: m.folder ?? m.path, weight: m.weight, ...(m.parameters ? { parameters: m.parameters } : {}) }))
    : (r.models ?? []).map((m) => ({ path: m.path, weight: m.weight ?? 1, ...(m.parameters ? { parameters: m.parameters } : {}) }));
  const base = resolved ? resolved.baseFolder ?? resolved.base : r.base;
  for (const p of [...modelList.map((m) => m.path), ...(base ? [base] : [])]) {
    if (/\.(safetensors|pt|pth|bin|ckpt|onnx|json)$/i.test(p)) notCarried.push(`${p}: mergekit reads model folders (config.json beside the weights) or Hugging Face ids, not a weights file; name its folder`);
  }
  if (r.slices) return slicedConfig(r, modelList, base, notCarried);
  if (r.align) notCarried.push('align: mergekit does not permute models; run merge-studio align first and export a recipe of the aligned files');
  if (r.checkpoints && !resolved) notCarried.push('checkpoints: mergekit needs the models listed; resolve the recipe first to expand the folder');
  const method = getMethod(r.method);
  // Our parameters with our defaults filled in: mergekit's defaults differ (density 1, dare_ties' normalize…).
  const ourParams: Record<string, ParamScalar> = { ...(method.params.parse({}) as Record<string, ParamScalar>), ...(r.parameters ?? {}) };
  const perModelKeys = method.perModel ?? [];
  const { mkMethod, weights, linear, params } = methodForm(r.method, ourParams, modelList);
  if (!linear) globalParams(r, ourParams, perModelKeys, params, notCarried);
  const slots = ruleSlots(r.layers ?? [], notCarried);
  if (!linear) globalConditions(params, slots, perModelKeys);
  const perModel = perModelSettings(modelList, perModelKeys, slots, ourParams, params);
  const weightSettings = modelList.map((_, m) => (linear && slots.length === 0 ? weights[m] : ruleSetting(slots, (rule) => (rule?.weights?.[m] ?? weights[m]) as Value)));

  const cfg: Record<string, unknown> = { merge_method: mkMethod };
  if (mkMethod === 'slerp') {
    cfg.base_model = modelList[0]?.path;
    cfg.models = modelList.map((m) => ({ model: m.path }));
  } else {
    if (base) cfg.base_model = base;
    const usesWeight = linear || method.usesWeights;
    cfg.models = modelList.map((m, i) => {
      const p: Record<string, unknown> = { ...(usesWeight ? { weight: weightSettings[i] } : {}), ...Object.fromEntries(Object.entries(perModel[i]).filter(([, v]) => v !== undefined)) };
      return Object.keys(p).length ? { model: m.path, parameters: p } : { model: m.path };
    });
  }
  if (Object.keys(params).length) cfg.parameters = params;
  writeDType(r.output, cfg, notCarried);
  writeOutput(r, modelList, cfg, notCarried);
  return { yaml: flowNumberLists(cfg, { flowCollectionPadding: false, lineWidth: 0 }), notCarried };
}

/** One slice as mergekit's: its sources with their layer ranges and settings, and its global settings. */
function sliceConfig(r: Recipe, slice: SliceSpec, si: number, modelList: ModelEntry[], base: string | undefined, notCarried: string[]): { mkMethod: string; sources: Record<string, unknown>[]; params: Record<string, unknown>; firstModel?: string } {
  const method = getMethod(r.method);
  const merged = mergedSources(slice, method);
  const pathOf = (model: number | 'base') => (model === 'base' ? base! : modelList[model].path);
  const entries: ModelEntry[] = merged.map((src) => {
    const own = src.model === 'base' ? undefined : modelList[src.model];
    const parameters = { ...own?.parameters, ...src.parameters } as Record<string, ParamScalar>;
    return { path: pathOf(src.model), weight: (src.weight ?? own?.weight ?? 1) as number, ...(Object.keys(parameters).length ? { parameters } : {}) };
  });
  // The slice's values (gradients over its layers, as mergekit's slice settings run) over the recipe's.
  const ourParams = { ...(method.params.parse({}) as Record<string, ParamScalar>), ...(r.parameters ?? {}), ...(slice.parameters ?? {}) } as Record<string, ParamScalar>;
  const perModelKeys = method.perModel ?? [];
  const { mkMethod, weights, linear, params } = methodForm(r.method, ourParams, entries);
  if (!linear) globalParams(r, ourParams, perModelKeys, params, notCarried);
  const rules = [...(slice.layers ?? []), ...(r.layers ?? [])];
  const slots = ruleSlots(rules, si === 0 ? notCarried : []);
  if (!linear) globalConditions(params, slots, perModelKeys);
  const perModel = perModelSettings(entries, perModelKeys, slots, ourParams, params);
  const usesWeight = linear || method.usesWeights;
  const sources = slice.sources.map((src) => {
    const j = merged.indexOf(src);
    const p: Record<string, unknown> = j < 0 ? {} : {
      ...(usesWeight ? { weight: linear && slots.length === 0 ? weights[j] : ruleSetting(slots, (rule) => (rule?.weights?.[j] ?? weights[j]) as Value) } : {}),
      ...Object.fromEntries(Object.entries(perModel[j]).filter(([, v]) => v !== undefined)),
    };
    return { model: pathOf(src.model), layer_range: src.layers, ...(Object.keys(p).length ? { parameters: p } : {}) };
  });
  return { mkMethod, sources, params, firstModel: merged[0] ? pathOf(merged[0].model) : undefined };
}

/** A recipe with slices as mergekit's `slices:`; the settings every slice has alike go to the config's parameters. */
function slicedConfig(r: Recipe, modelList: ModelEntry[], base: string | undefined, notCarried: string[]): MergekitExport {
  const slices = (r.slices ?? []).map((s, si) => sliceConfig(r, s, si, modelList, base, notCarried));
  const cfg: Record<string, unknown> = {
    slices: slices.map((s) => ({ sources: s.sources, ...(Object.keys(s.params).length ? { parameters: s.params } : {}) })),
    merge_method: slices[0].mkMethod,
  };
  if (slices[0].mkMethod === 'slerp') {
    // mergekit's slerp runs from its base_model (t = 0): the first source of every slice here.
    cfg.base_model = slices[0].firstModel;
    if (slices.some((s) => s.firstModel !== slices[0].firstModel)) notCarried.push(`slices: slerp's t = 0 end is the first source of each slice here, but mergekit takes one base_model (${slices[0].firstModel}) for all`);
  } else if (base) cfg.base_model = base;
  const shared = slices[0].params;
  if (Object.keys(shared).length && slices.every((s) => same(s.params, shared))) {
    cfg.parameters = shared;
    for (const s of cfg.slices as Record<string, unknown>[]) delete s.parameters;
  }
  writeDType(r.output, cfg, notCarried);
  writeOutput(r, modelList, cfg, notCarried);
  return { yaml: flowNumberLists(cfg, { flowCollectionPadding: false, lineWidth: 0 }), notCarried };
}

/** A model folder's tokenizer and chat template as mergekit's keys; the path and shard size go on its command line. */
function writeOutput(r: Recipe, modelList: ModelEntry[], cfg: Record<string, unknown>, notCarried: string[]): void {
  const { tokenizer, chat_template: chatTemplate, shard_size: shardSize } = r.output ?? {};
  if (tokenizer !== undefined) cfg.tokenizer_source = typeof tokenizer === 'number' ? modelList[tokenizer]?.path : typeof tokenizer === 'object' ? tokenizer.path : tokenizer;
  if (chatTemplate !== undefined) cfg.chat_template = chatTemplate;
  const flags = shardSize !== undefined ? ` (with --out-shard-size ${shardSize})` : '';
  // A recipe without an output path writes into its run's folder: nothing to tell mergekit's command line.
  if (r.output?.path) notCarried.push(`output path ${r.output.path}: give it to mergekit on the command line${flags}${r.output.folder ? '' : '; mergekit writes a model folder there'}`);
}

/** The linear methods as mergekit's linear with explicit weights; the others by name. */
function methodForm(ours: string, ourParams: Record<string, ParamScalar>, modelList: ModelEntry[]): MethodForm {
  const weights = modelList.map((m) => m.weight);
  switch (ours) {
    case 'mean': return { mkMethod: 'linear', weights: weights.map(() => 1), linear: true, params: { normalize: true } };
    case 'weighted': return { mkMethod: 'linear', weights, linear: true, params: { normalize: true } };
    case 'sum': return { mkMethod: 'linear', weights, linear: true, params: { normalize: false } };
    case 'linear': return { mkMethod: 'linear', weights, linear: true, params: { normalize: ourParams.normalize !== false } };
    case 'ema': {
      // The EMA over an ordered list is a fixed linear combination: decay^(N−1) for the first, (1−d)·d^(N−1−k) after.
      const d = Number(ourParams.decay ?? 0.9);
      const n = modelList.length;
      return { mkMethod: 'linear', weights: modelList.map((_, k) => (k === 0 ? d ** (n - 1) : (1 - d) * d ** (n - 1 - k))), linear: true, params: { normalize: false } };
    }
    case 'add_difference': {
      const m = Number(ourParams.multiplier ?? 1);
      return { mkMethod: 'linear', weights: [1, m, -m], linear: true, params: { normalize: false } };
    }
    default: {
      const mk = TO_MERGEKIT[ours];
      if (!mk) throw new Error(`${ours} has no mergekit equivalent`);
      return { mkMethod: mk, weights, linear: false, params: {} };
    }
  }
}

/** True when some density below 1 makes the random drops drop something (at density 1 nothing is random). */
function dropsAnything(r: Recipe, params: Record<string, ParamScalar>): boolean {
  const values: unknown[] = [params.density, ...(r.models ?? []).map((m) => m.parameters?.density)];
  for (const rule of r.layers ?? []) values.push(rule.parameters?.density, ...(rule.model_parameters ?? []).map((p) => p.density));
  return values.flat().some((d) => typeof d === 'number' && d < 1);
}

/** The method's global parameters as mergekit reads them (its rescale is a boolean; its seed is its own). */
function globalParams(r: Recipe, ourParams: Record<string, ParamScalar>, perModelKeys: readonly string[], params: Record<string, unknown>, notCarried: string[]): void {
  for (const [k, v] of Object.entries(ourParams)) {
    if (k === 'seed') {
      if (['dare_linear', 'dare_ties', 'della', 'della_linear'].includes(r.method) && dropsAnything(r, ourParams)) notCarried.push('parameters.seed: mergekit draws its own random drops; the tensors will differ from ours (their statistics agree)');
      if (r.method === 'arcee_fusion') notCarried.push('parameters.seed: for tensors over 1e6 entries mergekit estimates the quartiles from its own random sample; there the kept entries may differ slightly from ours');
      continue;
    }
    if (k === 'rescale') {
      if (v === 'inverse') notCarried.push('parameters.rescale: inverse (each kept entry × 1/p) has no mergekit form; written as rescale: true, mergekit\'s one L1 scalar per tensor');
      params.rescale = v !== 'none';
      continue;
    }
    if (!perModelKeys.includes(k)) params[k] = v;
  }
}

/** Layer rules as mergekit conditions, in order (the first match wins in both); the rules with no such form are said. */
function ruleSlots(layers: LayerRule[], notCarried: string[]): RuleSlot[] {
  const slots: RuleSlot[] = [];
  let reachedCatchAll = false;
  layers.forEach((rule, i) => {
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
  return slots;
}

/** A setting that follows the rules: a condition per filtered rule, then the catch-all's value (`at()` without one). */
function ruleSetting(slots: RuleSlot[], at: (rule?: LayerRule) => Value): Setting | undefined {
  const catchAll = slots.find((s) => s.filter === undefined)?.rule;
  return settingOf(slots.filter((s) => s.filter !== undefined).map((s) => ({ filter: s.filter, value: at(s.rule) })), at(catchAll));
}

/** Global parameters: a condition per rule that sets them, the recipe's value for the rest. */
function globalConditions(params: Record<string, unknown>, slots: RuleSlot[], perModelKeys: readonly string[]): void {
  for (const k of Object.keys(params)) {
    if (perModelKeys.includes(k) || typeof params[k] === 'boolean') continue;
    if (!slots.some((s) => s.rule.parameters?.[k] !== undefined)) continue;
    params[k] = ruleSetting(slots, (rule) => (rule?.parameters?.[k] ?? params[k]) as Value);
  }
}

/**
 * Per-model parameters: one global setting where every model has the same, else a setting per model
 * (mergekit's per-model values win over its global ones).
 */
function perModelSettings(modelList: ModelEntry[], perModelKeys: readonly string[], slots: RuleSlot[], ourParams: Record<string, ParamScalar>, params: Record<string, unknown>): Record<string, Setting | undefined>[] {
  const ownAt = (m: number, k: string, rule?: LayerRule): Value => (rule?.model_parameters?.[m]?.[k] ?? rule?.parameters?.[k] ?? modelList[m].parameters?.[k] ?? ourParams[k]) as Value;
  const perModel: Record<string, Setting | undefined>[] = modelList.map(() => ({}));
  for (const k of perModelKeys) {
    const settings = modelList.map((_, m) => ruleSetting(slots, (rule) => ownAt(m, k, rule)));
    if (settings.every((s) => same(s, settings[0]))) params[k] = settings[0];
    else settings.forEach((s, m) => { perModel[m][k] = s; });
  }
  return perModel;
}

/** mergekit's dtype is the one it computes in; ours is float32, then written as the output dtype. */
function writeDType(output: Recipe['output'], cfg: Record<string, unknown>, notCarried: string[]): void {
  const out = output?.dtype;
  if (out === 'f64') notCarried.push('output dtype f64: mergekit writes float32, float16 or bfloat16');
  cfg.dtype = 'float32';
  if (out && out !== 'f64' && out !== 'f32') cfg.out_dtype = MK_DTYPES[out];
  if (!out) notCarried.push('output dtype: unset here (each tensor keeps its model\'s type); mergekit writes float32 as exported');
}
