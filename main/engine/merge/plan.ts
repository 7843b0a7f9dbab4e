// The merge plan: for every output tensor, what happens to it (merge, copy from one model, leave out),
// with which parameters and weights. Per-layer rules are tried in order and the first match wins.
import { sourceName } from '../formats/model-folder';
import type { ModelSource, TensorInfo } from '../formats/types';
import { isFloatDType, numElements, type DType } from '../tensor/dtypes';
import { tensorSeed } from './kernels/random';
import { getMethod, type MergeMethod, type Params, type ParamValue } from './methods';
import type { LayerRule, OutputDType, ParamScalar, ResolvedRecipe } from './recipe';

export type TensorAction =
  /** Run the method's kernel over the models' tensors. */
  | { kind: 'merge' }
  /** Copy model `from`'s tensor (a `from:` rule, or a non-float tensor that must never be averaged). */
  | { kind: 'copy'; from: number; reason: 'rule' | 'non-float' };

export interface PlannedTensor {
  /** The name written; tied aliases of it are in `aliases`. */
  name: string;
  shape: number[];
  outputDType: DType;
  action: TensorAction;
  /** Index of the layer rule that matched, if any. */
  rule?: number;
  params: Params;
  /** Per model, when some model has its own per-model parameters (density, gamma, epsilon): its full set. */
  modelParams?: Params[];
  weights: number[];
  /** Layer merge strength: out = θ₀ + strength·(merged − θ₀); 1 = the method's result as is. */
  strength: number;
  seed: number;
  /** Other names tied to this tensor (written once, kept tied). */
  aliases: string[];
  /**
   * With slices: the tensor each merged input is read from, by model index (−1: the base) and name, in the
   * method's order; absent: `name` from every model.
   */
  inputs?: { model: number; name: string }[];
  /** With slices: the base's tensor, when the method takes one (absent: `name`). */
  baseName?: string;
}

export interface MergePlan {
  method: MergeMethod;
  tensors: PlannedTensor[];
  /** Names left out by `exclude` rules. */
  excluded: string[];
  /** Tied groups of the output (first name written). */
  tied: string[][];
  /** Problems that stop the merge, in words. */
  blocking: string[];
  warnings: string[];
  /** With slices: the output's layer stack (its prefix and layer count); the output is written in plan order. */
  stack?: { prefix: string; layers: number };
}

export interface PlanSources {
  models: ModelSource[];
  base?: ModelSource;
}

/** Glob on tensor names: `*` any run of characters (dots included), `?` one character. */
export function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

export function ruleMatcher(rule: LayerRule): (name: string) => boolean {
  const re = rule.match !== undefined ? globToRegExp(rule.match) : new RegExp(rule.regex!);
  return (name) => re.test(name);
}

/** The layer a tensor belongs to: its name without the last part ("features.3.weight" → "features.3"). */
export function layerOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(0, i) : name;
}

/** Value of a gradient [v₀, …, v_m] at position `at` in [0, 1] (piecewise linear, as mergekit); others as they are. */
export function gradientAt<V extends ParamValue>(values: V | number[], at: number): V | number {
  if (!Array.isArray(values)) return values;
  if (values.length === 1) return values[0];
  const x = Math.min(1, Math.max(0, at)) * (values.length - 1);
  const i = Math.min(values.length - 2, Math.floor(x));
  const f = x - i;
  return values[i] * (1 - f) + values[i + 1] * f;
}

/** The numbered block of a tensor name: `model.layers.7.mlp.up_proj.weight` → {prefix: 'model.layers', index: 7}. */
export function blockOf(name: string): { prefix: string; index: number } | undefined {
  const parts = name.split('.');
  const at = parts.findIndex((p) => /^\d+$/.test(p));
  return at < 0 ? undefined : { prefix: parts.slice(0, at).join('.'), index: Number(parts[at]) };
}

/** Number of blocks under each prefix (highest index + 1), as a model's layer count. */
export function blockCounts(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const n of names) {
    const b = blockOf(n);
    if (b) counts.set(b.prefix, Math.max(counts.get(b.prefix) ?? 0, b.index + 1));
  }
  return counts;
}

/**
 * mergekit's gradient position: block N of L gives N/(L−1) (1 when L = 1), whichever tensor of the block it
 * is (q_proj and k_proj of a block get the same value); tensors outside numbered blocks (embeddings, the
 * final norm, the head) get 0.
 */
export function blockPosition(name: string, counts: Map<string, number>): number {
  const b = blockOf(name);
  if (!b) return 0;
  const L = counts.get(b.prefix) ?? b.index + 1;
  return L > 1 ? b.index / (L - 1) : 1;
}

/**
 * Blocks for the Scheme screen's per-layer table: tensors grouped by the first part of their name
 * (`features.*`, `classifier.*`), in file order, each with the glob a layer rule for it would use.
 */
export function blockGroups(names: readonly string[]): { match: string; tensors: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const dot = n.indexOf('.');
    const key = dot > 0 ? `${n.slice(0, dot)}.*` : n;
    const list = groups.get(key) ?? [];
    list.push(n);
    groups.set(key, list);
  }
  return [...groups].map(([match, tensors]) => ({ match, tensors }));
}

export function shapeText(shape: readonly number[]): string {
  return shape.length ? shape.join('×') : 'a scalar';
}

/**
 * Tensors by name for each source, O(1) on models with thousands of tensors; a lookup falls back to
 * another name of the tensor's tied group (some files store a tied tensor under one name only).
 */
export class TensorIndex {
  private readonly maps: Map<string, TensorInfo>[];
  constructor(sources: ModelSource[]) {
    this.maps = sources.map((s) => new Map(s.tensors.map((t) => [t.name, t])));
  }
  get(i: number, name: string, group?: string[]): TensorInfo | undefined {
    const hit = this.maps[i].get(name);
    if (hit || !group) return hit;
    for (const g of group) { const t = this.maps[i].get(g); if (t) return t; }
    return undefined;
  }
}

export function outputDTypeFor(inDType: DType, wanted: OutputDType | undefined): DType {
  if (wanted) return wanted;
  return inDType === 'f32' || inDType === 'f16' || inDType === 'bf16' || inDType === 'f64' ? inDType : 'f32';
}

/** What the planning steps share; the problems they find go, in words, to `blocking` and `warnings`. */
interface Planning {
  recipe: ResolvedRecipe;
  method: MergeMethod;
  models: ModelSource[];
  base?: ModelSource;
  /** The models' file names, for messages. */
  names: string[];
  index: TensorIndex;
  baseIndex?: TensorIndex;
  /** The method's parameters as the recipe sets them, its defaults for the rest. */
  defaults: Params;
  /** A set of parameters cut down to the method's per-model ones (density, gamma, epsilon). */
  ownOf: <V>(values: Record<string, V> | undefined) => Record<string, V>;
  /** Each model's own per-model parameters (recipe order). */
  modelOwn: Record<string, ParamScalar>[];
  blocking: string[];
  warnings: string[];
}

/** Which rule each written tensor falls under, and the layers each rule matched (its gradients run over them). */
interface RuleLayout {
  /** The first model's tensors that are written: all but tied aliases. */
  written: TensorInfo[];
  ruleOf: Map<string, number>;
  layersOfRule: string[][];
}

function startPlanning(recipe: ResolvedRecipe, method: MergeMethod, { models, base }: PlanSources): Planning {
  const blocking: string[] = [];
  // Recipes from parseRecipe are already checked; one built in code may not be, so say what is wrong.
  const checked = method.params.safeParse(recipe.parameters);
  if (!checked.success) blocking.push(`parameters: ${checked.error.issues.map((i) => `${i.path.join('.') || '(all)'} ${i.message}`).join('; ')}`);
  const perModel = method.perModel ?? [];
  const ownOf = <V>(values: Record<string, V> | undefined): Record<string, V> => Object.fromEntries(Object.entries(values ?? {}).filter(([k]) => perModel.includes(k)));
  return {
    recipe,
    method,
    models,
    base,
    names: models.map(sourceName),
    index: new TensorIndex(models),
    baseIndex: base ? new TensorIndex([base]) : undefined,
    defaults: (checked.success ? checked.data : method.params.parse({})) as Params,
    ownOf,
    modelOwn: recipe.models.map((m) => ownOf(m.parameters)),
    blocking,
    warnings: [],
  };
}

/** Tied groups of the first model, by name: the first name of each group is the one merged and written. */
function tiedGroups(first: ModelSource): Map<string, string[]> {
  const groupOf = new Map<string, string[]>();
  for (const g of first.tied) for (const n of g) groupOf.set(n, g);
  return groupOf;
}

/** First pass: which rule each written tensor falls under, to lay out gradients over the matched layers. */
function layoutRules(first: ModelSource, groupOf: Map<string, string[]>, layers: LayerRule[]): RuleLayout {
  const matchers = layers.map(ruleMatcher);
  const ruleOf = new Map<string, number>();
  const layersOfRule: string[][] = layers.map(() => []);
  const written: TensorInfo[] = [];
  for (const t of first.tensors) {
    const g = groupOf.get(t.name);
    if (g && g[0] !== t.name && first.tensors.some((x) => x.name === g[0])) continue; // an alias
    written.push(t);
    const r = matchers.findIndex((m) => m(t.name));
    if (r < 0) continue;
    ruleOf.set(t.name, r);
    const layer = layerOf(t.name);
    if (!layersOfRule[r].includes(layer)) layersOfRule[r].push(layer);
  }
  return { written, ruleOf, layersOfRule };
}

/** Rules that match nothing, copy from a model that is not there, or give a list per model of the wrong length. */
function checkRules(p: Planning, layersOfRule: string[][]): void {
  const n = p.models.length;
  p.recipe.layers.forEach((rule, r) => {
    if (layersOfRule[r].length === 0) p.warnings.push(`layer rule ${r + 1} (${rule.match ?? rule.regex}) matches no tensor of ${p.names[0]}`);
    if (rule.from !== undefined && rule.from >= n) {
      p.blocking.push(`layer rule ${r + 1} copies from model ${rule.from}, but the recipe has ${n} model${n === 1 ? '' : 's'} (numbered from 0)`);
    }
    if (rule.weights && rule.weights.length !== n) {
      p.blocking.push(`layer rule ${r + 1} gives ${rule.weights.length} weights for ${n} models`);
    }
    if (rule.model_parameters && rule.model_parameters.length !== n) {
      p.blocking.push(`layer rule ${r + 1} gives model_parameters for ${rule.model_parameters.length} models, but the recipe has ${n}`);
    }
  });
}

/** Where a tensor lies along its rule's gradients, in [0, 1]: over the model's blocks or over the rule's matched layers. */
function gradientPosition(p: Planning, name: string, r: number | undefined, layersOfRule: string[][], counts: Map<string, number>): number {
  if (r === undefined) return 0;
  if (p.recipe.layers[r].over === 'blocks') return blockPosition(name, counts);
  const layers = layersOfRule[r];
  return layers.length < 2 ? 0 : layers.indexOf(layerOf(name)) / (layers.length - 1);
}

/** A tensor's parameters, per-model parameters, weights and strength, its rule's gradients taken at `at`. */
function tensorParams(p: Planning, rule: LayerRule | undefined, at: number): Pick<PlannedTensor, 'params' | 'modelParams' | 'weights' | 'strength'> {
  // Precedence: a rule's model_parameters > the rule's parameters > a model's own > the recipe's > defaults.
  const params: Params = { ...p.defaults };
  const fromRule: Params = {};
  let strength = 1;
  for (const [k, v] of Object.entries(rule?.parameters ?? {})) {
    if (k === 'weight') strength = Number(gradientAt(v, at));
    else fromRule[k] = gradientAt(v, at);
  }
  Object.assign(params, fromRule);
  const ruleOwn = rule?.model_parameters?.length === p.models.length ? rule.model_parameters : undefined;
  const modelParams = p.modelOwn.some((o) => Object.keys(o).length) || ruleOwn
    ? p.recipe.models.map((_, m) => {
      const own: Params = { ...p.defaults, ...p.modelOwn[m], ...fromRule };
      for (const [k, v] of Object.entries(p.ownOf(ruleOwn?.[m]))) own[k] = gradientAt(v, at);
      return own;
    })
    : undefined;
  const weights = rule?.weights && rule.weights.length === p.models.length
    ? rule.weights.map((w) => Number(gradientAt(w, at)))
    : p.recipe.models.map((m) => m.weight);
  return { params, modelParams, weights, strength };
}

/** Copied when a rule says `from:`, or when not a float tensor (never averaged); merged otherwise. */
export function tensorAction(rule: LayerRule | undefined, dtype: DType): TensorAction {
  if (rule?.from !== undefined) return { kind: 'copy', from: rule.from, reason: 'rule' };
  if (!isFloatDType(dtype)) return { kind: 'copy', from: 0, reason: 'non-float' };
  return { kind: 'merge' };
}

/** What happens to one written tensor of the first model, under rule `r` (if any) at gradient position `at`. */
function planTensor(p: Planning, t: TensorInfo, r: number | undefined, at: number, aliases: string[]): PlannedTensor {
  const rule = r === undefined ? undefined : p.recipe.layers[r];
  const { params, modelParams, weights, strength } = tensorParams(p, rule, at);
  const action = tensorAction(rule, t.dtype);
  const outDType = action.kind === 'copy' && action.reason === 'non-float' ? t.dtype : outputDTypeFor(t.dtype, p.recipe.output.dtype);
  return { name: t.name, shape: t.shape, outputDType: outDType, action, rule: r, params, ...(modelParams ? { modelParams } : {}), weights, strength, seed: tensorSeed(Number(params.seed ?? 0), t.name), aliases };
}

/** A copied tensor: the model it is copied from has it, with as many values. */
function checkCopySource(p: Planning, t: PlannedTensor, from: number, group: string[] | undefined): void {
  if (!(from > 0 && from < p.models.length)) return; // model 0 is the tensor itself; a missing model blocks in checkRules
  const src = p.index.get(from, t.name, group);
  if (!src) p.blocking.push(`${t.name} is missing in ${p.names[from]}, which layer rule ${t.rule! + 1} copies it from`);
  else if (numElements(src.shape) !== numElements(t.shape)) p.blocking.push(`${t.name} is ${shapeText(t.shape)} in ${p.names[0]} but ${shapeText(src.shape)} in ${p.names[from]}`);
}

/** A merged tensor: every other model (and the base, when the method takes one) has it, in the same shape. */
function checkMergeInputs(p: Planning, t: PlannedTensor, group: string[] | undefined): void {
  const { names } = p;
  for (let i = 1; i < p.models.length; i++) {
    const other = p.index.get(i, t.name, group);
    if (!other) p.blocking.push(`${t.name} is missing in ${names[i]} (present in ${names[0]}); exclude it or copy it with a layer rule ({match: "${t.name}", from: 0})`);
    else if (!sameShape(other.shape, t.shape)) p.blocking.push(`${t.name} is ${shapeText(t.shape)} in ${names[0]} but ${shapeText(other.shape)} in ${names[i]}`);
  }
  if ((p.method.needsBase || p.method.acceptsBase) && p.base && p.baseIndex) {
    const b = p.baseIndex.get(0, t.name, group);
    const baseName = sourceName(p.base);
    if (!b) p.blocking.push(`${t.name} is missing in the base ${baseName}`);
    else if (!sameShape(b.shape, t.shape)) p.blocking.push(`${t.name} is ${shapeText(t.shape)} in ${names[0]} but ${shapeText(b.shape)} in the base ${baseName}`);
  }
}

/** A merged tensor's rule weights do not sum to 0 where the method divides by it; its parameters are in range. */
function checkWeightsAndParams(p: Planning, t: PlannedTensor): void {
  const rule = t.rule === undefined ? undefined : p.recipe.layers[t.rule];
  const { method, blocking } = p;
  if (rule?.weights && method.normalizesWeights && t.params.normalize !== false && t.weights.reduce((a, b) => a + b, 0) === 0) {
    blocking.push(`the weights for ${t.name} sum to 0 (${t.weights.join(' + ')}), and ${method.id} divides by their sum; change a weight`);
  }
  for (const [m, set] of (t.modelParams ?? [t.params]).entries()) {
    const ranged = method.params.safeParse(set);
    if (!ranged.success) {
      blocking.push(`${t.name}${t.modelParams ? ` (model ${m})` : ''}: parameters out of range: ${ranged.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
      break;
    }
  }
}

/** What a planned tensor needs from the other files, and whether its weights and parameters can be used. */
function checkTensor(p: Planning, t: PlannedTensor, group: string[] | undefined): void {
  if (t.action.kind === 'copy') {
    checkCopySource(p, t, t.action.from, group);
    return;
  }
  checkMergeInputs(p, t, group);
  checkWeightsAndParams(p, t);
}

/** Tensors only other models have are not in the output, and ties the others lack are kept: say so. */
function warnAboutOtherModels(p: Planning): void {
  const { models, names } = p;
  const first = models[0];
  const firstNames = new Set(first.tensors.map((t) => t.name));
  for (let i = 1; i < models.length; i++) {
    const extra = models[i].tensors.filter((t) => !firstNames.has(t.name));
    if (extra.length) p.warnings.push(`${names[i]} has ${extra.length} tensor${extra.length === 1 ? '' : 's'} that ${names[0]} lacks (not in the output): ${extra.slice(0, 5).map((t) => t.name).join(', ')}${extra.length > 5 ? ', …' : ''}`);
  }
  for (let i = 1; i < models.length; i++) {
    const theirs = models[i].tied.map((g) => [...g].sort().join(','));
    for (const g of first.tied) if (!theirs.includes([...g].sort().join(','))) p.warnings.push(`${g.join(' = ')} are tied in ${names[0]} but not in ${names[i]}; the output keeps them tied and merges ${g[0]}`);
  }
}

/** Builds the plan and collects, in words, everything that would stop or surprise the merge. */
export function buildPlan(recipe: ResolvedRecipe, sources: PlanSources): MergePlan {
  const method = getMethod(recipe.method);
  const first = sources.models[0];
  if (!first) return { method, tensors: [], excluded: [], tied: [], blocking: ['the recipe lists no models'], warnings: [] };
  const p = startPlanning(recipe, method, sources);
  const groupOf = tiedGroups(first);
  const { written, ruleOf, layersOfRule } = layoutRules(first, groupOf, recipe.layers);
  checkRules(p, layersOfRule);
  const counts = recipe.layers.some((l) => l.over === 'blocks') ? blockCounts(written.map((t) => t.name)) : new Map<string, number>();

  const tensors: PlannedTensor[] = [];
  const excluded: string[] = [];
  for (const t of written) {
    const group = groupOf.get(t.name);
    const aliases = group ? group.filter((n) => n !== t.name && first.tensors.some((x) => x.name === n)) : [];
    const r = ruleOf.get(t.name);
    if (r !== undefined && recipe.layers[r].exclude) { excluded.push(t.name, ...aliases); continue; }
    const planned = planTensor(p, t, r, gradientPosition(p, t.name, r, layersOfRule, counts), aliases);
    tensors.push(planned);
    checkTensor(p, planned, group);
  }
  warnAboutOtherModels(p);

  const excludedSet = new Set(excluded);
  const tied = first.tied.map((g) => g.filter((n) => !excludedSet.has(n))).filter((g) => g.length > 1);
  return { method, tensors, excluded, tied, blocking: p.blocking, warnings: p.warnings };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
