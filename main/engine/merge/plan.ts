// The merge plan: for every output tensor, what happens to it (merge, copy from one model, leave out),
// with which parameters and weights. Per-layer rules are tried in order and the first match wins.
import type { ModelSource, TensorInfo } from '../formats/types';
import { isFloatDType, numElements, type DType } from '../tensor/dtypes';
import { tensorSeed } from './kernels/random';
import { getMethod, type MergeMethod, type Params, type ParamValue } from './methods';
import type { LayerRule, OutputDType, ResolvedRecipe } from './recipe';

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

function fileName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
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

function outputDTypeFor(inDType: DType, wanted: OutputDType | undefined): DType {
  if (wanted) return wanted;
  return inDType === 'f32' || inDType === 'f16' || inDType === 'bf16' || inDType === 'f64' ? inDType : 'f32';
}

/** Builds the plan and collects, in words, everything that would stop or surprise the merge. */
export function buildPlan(recipe: ResolvedRecipe, sources: PlanSources): MergePlan {
  const method = getMethod(recipe.method);
  const { models, base } = sources;
  const blocking: string[] = [];
  const warnings: string[] = [];
  const first = models[0];
  if (!first) return { method, tensors: [], excluded: [], tied: [], blocking: ['the recipe lists no models'], warnings };

  const names = models.map((m) => fileName(m.path));
  const index = new TensorIndex(models);
  const baseIndex = base ? new TensorIndex([base]) : undefined;
  const matchers = recipe.layers.map(ruleMatcher);
  // Recipes from parseRecipe are already checked; one built in code may not be, so say what is wrong.
  const checked = method.params.safeParse(recipe.parameters);
  if (!checked.success) blocking.push(`parameters: ${checked.error.issues.map((i) => `${i.path.join('.') || '(all)'} ${i.message}`).join('; ')}`);
  const defaults = (checked.success ? checked.data : method.params.parse({})) as Params;
  const perModel = method.perModel ?? [];
  const ownOf = <V>(values: Record<string, V> | undefined): Record<string, V> => Object.fromEntries(Object.entries(values ?? {}).filter(([k]) => perModel.includes(k)));
  const modelOwn = recipe.models.map((m) => ownOf(m.parameters));

  // Tied groups of the first model: the first name of each group is the one merged and written.
  const groupOf = new Map<string, string[]>();
  for (const g of first.tied) for (const n of g) groupOf.set(n, g);

  // First pass: which rule each written tensor falls under, to lay out gradients over the matched layers.
  const ruleOf = new Map<string, number>();
  const layersOfRule: string[][] = recipe.layers.map(() => []);
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
  recipe.layers.forEach((rule, r) => {
    if (layersOfRule[r].length === 0) warnings.push(`layer rule ${r + 1} (${rule.match ?? rule.regex}) matches no tensor of ${names[0]}`);
    if (rule.from !== undefined && rule.from >= models.length) {
      blocking.push(`layer rule ${r + 1} copies from model ${rule.from}, but the recipe has ${models.length} model${models.length === 1 ? '' : 's'} (numbered from 0)`);
    }
    if (rule.weights && rule.weights.length !== models.length) {
      blocking.push(`layer rule ${r + 1} gives ${rule.weights.length} weights for ${models.length} models`);
    }
    if (rule.model_parameters && rule.model_parameters.length !== models.length) {
      blocking.push(`layer rule ${r + 1} gives model_parameters for ${rule.model_parameters.length} models, but the recipe has ${models.length}`);
    }
  });
  const counts = recipe.layers.some((l) => l.over === 'blocks') ? blockCounts(written.map((t) => t.name)) : new Map<string, number>();

  const tensors: PlannedTensor[] = [];
  const excluded: string[] = [];
  for (const t of written) {
    const group = groupOf.get(t.name);
    const aliases = group ? group.filter((n) => n !== t.name && first.tensors.some((x) => x.name === n)) : [];
    const r = ruleOf.get(t.name);
    const rule = r === undefined ? undefined : recipe.layers[r];
    if (rule?.exclude) { excluded.push(t.name, ...aliases); continue; }
    const at = r === undefined ? 0
      : rule!.over === 'blocks' ? blockPosition(t.name, counts)
        : layersOfRule[r].length < 2 ? 0 : layersOfRule[r].indexOf(layerOf(t.name)) / (layersOfRule[r].length - 1);

    // Precedence: a rule's model_parameters > the rule's parameters > a model's own > the recipe's > defaults.
    const params: Params = { ...defaults };
    const fromRule: Params = {};
    let strength = 1;
    for (const [k, v] of Object.entries(rule?.parameters ?? {})) {
      if (k === 'weight') strength = Number(gradientAt(v, at));
      else fromRule[k] = gradientAt(v, at);
    }
    Object.assign(params, fromRule);
    const ruleOwn = rule?.model_parameters?.length === models.length ? rule.model_parameters : undefined;
    const modelParams = modelOwn.some((o) => Object.keys(o).length) || ruleOwn
      ? recipe.models.map((_, m) => {
        const own: Params = { ...defaults, ...modelOwn[m], ...fromRule };
        for (const [k, v] of Object.entries(ownOf(ruleOwn?.[m]))) own[k] = gradientAt(v, at);
        return own;
      })
      : undefined;
    const weights = rule?.weights && rule.weights.length === models.length
      ? rule.weights.map((w) => Number(gradientAt(w, at)))
      : recipe.models.map((m) => m.weight);

    let action: TensorAction;
    if (rule?.from !== undefined) action = { kind: 'copy', from: rule.from, reason: 'rule' };
    else if (!isFloatDType(t.dtype)) action = { kind: 'copy', from: 0, reason: 'non-float' };
    else action = { kind: 'merge' };

    const outDType = action.kind === 'copy' && action.reason === 'non-float' ? t.dtype : outputDTypeFor(t.dtype, recipe.output.dtype);
    tensors.push({ name: t.name, shape: t.shape, outputDType: outDType, action, rule: r, params, ...(modelParams ? { modelParams } : {}), weights, strength, seed: tensorSeed(Number(params.seed ?? 0), t.name), aliases });

    // What this tensor needs from the other files.
    if (action.kind === 'copy') {
      if (action.from > 0 && action.from < models.length) {
        const src = index.get(action.from, t.name, group);
        if (!src) blocking.push(`${t.name} is missing in ${names[action.from]}, which layer rule ${r! + 1} copies it from`);
        else if (numElements(src.shape) !== numElements(t.shape)) blocking.push(`${t.name} is ${shapeText(t.shape)} in ${names[0]} but ${shapeText(src.shape)} in ${names[action.from]}`);
      }
      continue;
    }
    for (let i = 1; i < models.length; i++) {
      const other = index.get(i, t.name, group);
      if (!other) blocking.push(`${t.name} is missing in ${names[i]} (present in ${names[0]}); exclude it or copy it with a layer rule ({match: "${t.name}", from: 0})`);
      else if (!sameShape(other.shape, t.shape)) blocking.push(`${t.name} is ${shapeText(t.shape)} in ${names[0]} but ${shapeText(other.shape)} in ${names[i]}`);
    }
    if ((method.needsBase || method.acceptsBase) && base && baseIndex) {
      const b = baseIndex.get(0, t.name, group);
      if (!b) blocking.push(`${t.name} is missing in the base ${fileName(base.path)}`);
      else if (!sameShape(b.shape, t.shape)) blocking.push(`${t.name} is ${shapeText(t.shape)} in ${names[0]} but ${shapeText(b.shape)} in the base ${fileName(base.path)}`);
    }
    if (rule?.weights && method.normalizesWeights && params.normalize !== false && weights.reduce((a, b) => a + b, 0) === 0) {
      blocking.push(`the weights for ${t.name} sum to 0 (${weights.join(' + ')}), and ${method.id} divides by their sum; change a weight`);
    }
    for (const [m, set] of (modelParams ?? [params]).entries()) {
      const ranged = method.params.safeParse(set);
      if (!ranged.success) {
        blocking.push(`${t.name}${modelParams ? ` (model ${m})` : ''}: parameters out of range: ${ranged.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
        break;
      }
    }
  }

  // Tensors that only other models have are not in the output: say so.
  const firstNames = new Set(first.tensors.map((t) => t.name));
  for (let i = 1; i < models.length; i++) {
    const extra = models[i].tensors.filter((t) => !firstNames.has(t.name));
    if (extra.length) warnings.push(`${names[i]} has ${extra.length} tensor${extra.length === 1 ? '' : 's'} that ${names[0]} lacks (not in the output): ${extra.slice(0, 5).map((t) => t.name).join(', ')}${extra.length > 5 ? ', …' : ''}`);
  }
  for (let i = 1; i < models.length; i++) {
    const theirs = models[i].tied.map((g) => [...g].sort().join(','));
    for (const g of first.tied) if (!theirs.includes([...g].sort().join(','))) warnings.push(`${g.join(' = ')} are tied in ${names[0]} but not in ${names[i]}; the output keeps them tied and merges ${g[0]}`);
  }

  const excludedSet = new Set(excluded);
  const tied = first.tied.map((g) => g.filter((n) => !excludedSet.has(n))).filter((g) => g.length > 1);
  return { method, tensors, excluded, tied, blocking, warnings };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
