// The merge plan of a recipe with slices (mergekit's plan.py): the output's numbered layer stack is built
// slice by slice, each output layer the method's merge of its sources' layers (layer start + i of each); the
// tensors outside the stack come before it from the first slice's sources (the embedding) or after it from the
// last slice's (final norm, head), as mergekit's pre and post weights. Gradients run over each slice's own
// layers, t = i / (n − 1) (1 for a one-layer slice), and are 0 outside the stack.
import { sourceName } from '../formats/model-folder';
import type { ModelSource, TensorInfo } from '../formats/types';
import { isFloatDType } from '../tensor/dtypes';
import { tensorSeed } from './kernels/random';
import { getMethod, type MergeMethod, type Params, type ParamValue } from './methods';
import { blockCounts, blockOf, gradientAt, layerOf, outputDTypeFor, ruleMatcher, sameShape, shapeText, tensorAction, type MergePlan, type PlannedTensor, type PlanSources } from './plan';
import { mergedSources, type LayerRule, type ResolvedRecipe, type SliceSourceSpec, type SliceSpec } from './recipe';

/** The model index of a source as the tensor reader takes it: −1 for the base. */
const BASE = -1;

/**
 * Tensors outside the stack that come before it (mergekit's pre weights: the token and position embeddings);
 * every other one comes after it (final norm, head). mergekit reads this from its architecture files; the
 * names are the same for the Llama family and most others.
 */
export function isPreWeight(name: string): boolean {
  return /embed|(^|\.)(wte|wpe)\./i.test(name);
}

/** A tensor name with its stack index replaced: `model.layers.7.mlp.w` → `model.layers.2.mlp.w`. */
export function renumbered(name: string, prefix: string, index: number): string {
  const rest = name.slice(prefix.length + 1);
  return `${prefix}.${index}${rest.slice(rest.indexOf('.'))}`;
}

/** One output tensor before its parameters: which slice, where along it, and each source's input name. */
interface Placed { name: string; slice: number; at: number; inStack: boolean; inputName: (src: SliceSourceSpec) => string }

interface Context {
  recipe: ResolvedRecipe;
  method: MergeMethod;
  slices: SliceSpec[];
  sources: PlanSources;
  defaults: Params;
  blocking: string[];
  warnings: string[];
}

function modelIndex(src: SliceSourceSpec): number {
  return src.model === 'base' ? BASE : src.model;
}

function sourceOf(c: Context, src: SliceSourceSpec): ModelSource {
  return src.model === 'base' ? c.sources.base! : c.sources.models[src.model];
}

/** A source's tensors by name (a find() per tensor would be quadratic in a model of 100k tensors). */
const byName = new WeakMap<ModelSource, Map<string, TensorInfo>>();
function tensorOf(model: ModelSource, name: string): TensorInfo | undefined {
  let map = byName.get(model);
  if (!map) byName.set(model, (map = new Map(model.tensors.map((t) => [t.name, t]))));
  return map.get(name);
}

/** The stack's prefix: the numbered prefix with the most layers in the first slice's first model. */
function stackPrefix(first: ModelSource): { prefix: string; layers: number } | undefined {
  let best: { prefix: string; layers: number } | undefined;
  for (const [prefix, layers] of blockCounts(first.tensors.map((t) => t.name))) if (!best || layers > best.layers) best = { prefix, layers };
  return best;
}

/** Every output tensor, in the order written: pre weights, the stack slice by slice, post weights. */
function placeTensors(c: Context, prefix: string): Placed[] {
  const placed: Placed[] = [];
  const same = (name: string) => () => name;
  const outside = (t: TensorInfo) => blockOf(t.name)?.prefix !== prefix;
  const firstModel = sourceOf(c, c.slices[0].sources[0]);
  for (const t of firstModel.tensors) if (outside(t) && isPreWeight(t.name)) placed.push({ name: t.name, slice: 0, at: 0, inStack: false, inputName: same(t.name) });
  let layer = 0;
  c.slices.forEach((slice, s) => {
    const lead = slice.sources[0];
    const n = lead.layers[1] - lead.layers[0];
    const model = sourceOf(c, lead);
    for (let i = 0; i < n; i++) {
      const at = n > 1 ? i / (n - 1) : 1;
      for (const t of model.tensors) {
        const b = blockOf(t.name);
        if (!b || b.prefix !== prefix || b.index !== lead.layers[0] + i) continue;
        placed.push({ name: renumbered(t.name, prefix, layer), slice: s, at, inStack: true, inputName: (src) => renumbered(t.name, prefix, src.layers[0] + i) });
      }
      layer++;
    }
  });
  const last = c.slices.length - 1;
  const lastModel = sourceOf(c, c.slices[last].sources[0]);
  for (const t of lastModel.tensors) if (outside(t) && !isPreWeight(t.name)) placed.push({ name: t.name, slice: last, at: 0, inStack: false, inputName: same(t.name) });
  return placed;
}

/** The first rule matching `name`: the slice's own first, then the recipe's (its index among them in `top`). */
function ruleFor(c: Context, slice: SliceSpec, name: string): { rule?: LayerRule; top?: number } {
  const own = (slice.layers ?? []).find((r) => ruleMatcher(r)(name));
  if (own) return { rule: own };
  const top = c.recipe.layers.findIndex((r) => ruleMatcher(r)(name));
  return top < 0 ? {} : { rule: c.recipe.layers[top], top };
}

/** Values of a parameter set at position `at` (gradients interpolated). */
function valuesAt(values: Record<string, ParamValue | number[]> | undefined, at: number, keep: (k: string) => boolean = () => true): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(values ?? {})) if (keep(k)) out[k] = gradientAt(v, at);
  return out;
}

/** A rule's gradient position: the slice's (over: blocks) or along the output layers it matched (over: layers). */
function rulePosition(rule: LayerRule, p: Placed, matched: Map<LayerRule, string[]>): number {
  if (rule.over === 'blocks') return p.at;
  const layers = matched.get(rule) ?? [];
  return layers.length < 2 ? 0 : layers.indexOf(layerOf(p.name)) / (layers.length - 1);
}

function plannedTensor(c: Context, p: Placed, matched: Map<LayerRule, string[]>): PlannedTensor | 'excluded' | undefined {
  const slice = c.slices[p.slice];
  const merged = mergedSources(slice, c.method);
  const baseSrc = c.method.needsBase || c.method.acceptsBase ? slice.sources.find((s) => s.model === 'base') : undefined;
  const { rule, top } = ruleFor(c, slice, p.name);
  if (rule?.exclude) return 'excluded';
  const at = rule ? rulePosition(rule, p, matched) : p.at;
  const perModel = new Set(c.method.perModel ?? []);
  // Precedence: a rule's model_parameters > the rule's parameters > a source's own > the slice's > a model's own > the recipe's > defaults.
  const fromSlice = valuesAt(slice.parameters, p.at);
  const fromRule = valuesAt(rule?.parameters, at, (k) => k !== 'weight');
  const strength = rule?.parameters?.weight !== undefined ? Number(gradientAt(rule.parameters.weight, at)) : 1;
  const params: Params = { ...c.defaults, ...fromSlice, ...fromRule };
  const modelParams = merged.map((src, j) => {
    const recipeOwn = src.model === 'base' ? {} : valuesAt(c.recipe.models[src.model].parameters, p.at, (k) => perModel.has(k));
    return { ...c.defaults, ...recipeOwn, ...fromSlice, ...valuesAt(src.parameters, p.at), ...fromRule, ...valuesAt(rule?.model_parameters?.[j], at, (k) => perModel.has(k)) };
  });
  const weights = merged.map((src, j) => {
    const w = rule?.weights?.[j] ?? src.weight ?? (src.model === 'base' ? 1 : c.recipe.models[src.model].weight);
    return Number(gradientAt(w, rule?.weights?.[j] !== undefined ? at : p.at));
  });
  const inputs = merged.map((src) => ({ model: modelIndex(src), name: p.inputName(src) }));
  const first = merged[0] ? tensorOf(sourceOf(c, merged[0]), inputs[0].name) : undefined;
  if (!first) return undefined; // said by checkInputs
  const action = tensorAction(rule, first.dtype);
  const outputDType = action.kind === 'copy' && action.reason === 'non-float' ? first.dtype : outputDTypeFor(first.dtype, c.recipe.output.dtype);
  const differs = modelParams.some((o) => Object.keys(o).some((k) => o[k] !== params[k]));
  return {
    name: p.name, shape: first.shape, outputDType, action, ...(top !== undefined ? { rule: top } : {}), params, ...(differs ? { modelParams } : {}),
    weights, strength, seed: tensorSeed(Number(params.seed ?? 0), p.name), aliases: [], inputs, ...(baseSrc ? { baseName: p.inputName(baseSrc) } : {}),
  };
}

/** Each input exists in its model with the first input's shape; the base too, when the method takes one. */
function checkInputs(c: Context, p: Placed, t: PlannedTensor | undefined): void {
  const slice = c.slices[p.slice];
  const merged = mergedSources(slice, c.method);
  const baseSrc = c.method.needsBase || c.method.acceptsBase ? slice.sources.find((s) => s.model === 'base') : undefined;
  const all = baseSrc ? [...merged, baseSrc] : merged;
  let shape: number[] | undefined;
  for (const src of all) {
    const model = sourceOf(c, src);
    const name = p.inputName(src);
    const info = tensorOf(model, name);
    if (!info) { c.blocking.push(`${name} (for the output's ${p.name}) is missing in ${sourceName(model)}, slice ${p.slice + 1}`); continue; }
    shape ??= info.shape;
    if (!sameShape(info.shape, shape)) c.blocking.push(`${p.name}: ${name} is ${shapeText(info.shape)} in ${sourceName(model)} but ${shapeText(shape)} in the slice's first source`);
  }
  if (t?.action.kind === 'merge' && !isFloatDType(t.outputDType)) c.blocking.push(`${p.name} is not a float tensor and cannot be merged`);
}

/** What each slice needs: as many merged sources as the method takes, a base source where it needs one, layers its models have. */
function checkSlices(c: Context, prefix: string): void {
  c.slices.forEach((slice, s) => {
    const merged = mergedSources(slice, c.method);
    const n = merged.length;
    const where = `slice ${s + 1}`;
    if (n < c.method.minModels) c.blocking.push(`${c.method.label} needs at least ${c.method.minModels} source${c.method.minModels === 1 ? '' : 's'} per slice; ${where} has ${n}`);
    if (c.method.maxModels !== undefined && n > c.method.maxModels) c.blocking.push(`${c.method.label} takes at most ${c.method.maxModels} source${c.method.maxModels === 1 ? '' : 's'} per slice; ${where} has ${n}${c.method.id === 'passthrough' ? ' (passthrough copies one model\'s layers: give each its own slice)' : ''}`);
    if (c.method.needsBase && !slice.sources.some((x) => x.model === 'base')) c.blocking.push(`${c.method.label} works on task vectors: ${where} needs the base among its sources ({model: base, layers: […]}), as in mergekit`);
    for (const src of slice.sources) {
      const model = sourceOf(c, src);
      const have = blockCounts(model.tensors.map((t) => t.name)).get(prefix) ?? 0;
      if (src.layers[1] > have) c.blocking.push(`${where} takes layers ${src.layers[0]}–${src.layers[1] - 1} of ${sourceName(model)}, which has ${have} (${prefix}.0–${have - 1})`);
    }
    for (const [r, rule] of (slice.layers ?? []).entries()) {
      for (const [k, list] of [['weights', rule.weights], ['model_parameters', rule.model_parameters]] as const) {
        if (list && list.length !== n) c.blocking.push(`${where}, layer rule ${r + 1}: gives ${k} for ${list.length} sources, but the slice merges ${n}`);
      }
    }
  });
  c.recipe.layers.forEach((rule, r) => {
    for (const [k, list] of [['weights', rule.weights], ['model_parameters', rule.model_parameters]] as const) {
      if (!list) continue;
      c.slices.forEach((slice, s) => { if (list.length !== mergedSources(slice, c.method).length) c.blocking.push(`layer rule ${r + 1} gives ${k} for ${list.length} models, but slice ${s + 1} merges ${mergedSources(slice, c.method).length}`); });
    }
  });
}

/** The plan of a recipe with slices. */
export function buildSlicePlan(recipe: ResolvedRecipe, sources: PlanSources): MergePlan {
  const method = getMethod(recipe.method);
  const slices = recipe.slices ?? [];
  const empty: MergePlan = { method, tensors: [], excluded: [], tied: [], blocking: [], warnings: [] };
  const checked = method.params.safeParse(recipe.parameters);
  if (!checked.success) empty.blocking.push(`parameters: ${checked.error.issues.map((i) => `${i.path.join('.') || '(all)'} ${i.message}`).join('; ')}`);
  const c: Context = { recipe, method, slices, sources, defaults: (checked.success ? checked.data : method.params.parse({})) as Params, blocking: empty.blocking, warnings: empty.warnings };
  if (!slices.length || slices.some((s) => s.sources.some((src) => (src.model === 'base' ? !sources.base : !sources.models[src.model])))) {
    c.blocking.push('a slice names a model the recipe does not open');
    return empty;
  }
  const stack = stackPrefix(sourceOf(c, slices[0].sources[0]));
  if (!stack) {
    c.blocking.push(`${sourceName(sourceOf(c, slices[0].sources[0]))} has no numbered layers (like model.layers.0.…) to slice`);
    return empty;
  }
  checkSlices(c, stack.prefix);
  const placed = placeTensors(c, stack.prefix);
  // First pass: the output layers each `over: layers` rule matches (its gradients run along them).
  const matched = new Map<LayerRule, string[]>();
  for (const p of placed) {
    const { rule } = ruleFor(c, slices[p.slice], p.name);
    if (!rule) continue;
    const list = matched.get(rule) ?? [];
    if (!list.includes(layerOf(p.name))) list.push(layerOf(p.name));
    matched.set(rule, list);
  }
  const tensors: PlannedTensor[] = [];
  const excluded: string[] = [];
  for (const p of placed) {
    const t = plannedTensor(c, p, matched);
    if (t === 'excluded') { excluded.push(p.name); continue; }
    checkInputs(c, p, t);
    if (!t) continue;
    for (const [m, set] of (t.modelParams ?? [t.params]).entries()) {
      const ranged = method.params.safeParse(set);
      if (!ranged.success) { c.blocking.push(`${t.name}${t.modelParams ? ` (source ${m})` : ''}: parameters out of range: ${ranged.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`); break; }
    }
    tensors.push(t);
  }
  const layers = slices.reduce((a, s) => a + s.sources[0].layers[1] - s.sources[0].layers[0], 0);
  return { method, tensors, excluded, tied: [], blocking: c.blocking, warnings: c.warnings, stack: { prefix: stack.prefix, layers } };
}
