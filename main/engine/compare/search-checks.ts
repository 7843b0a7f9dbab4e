// What a search is refused for before its first try, in plain words: a dimension no method has, a method that
// needs a base when the recipe has none, too few or too many models, an output folder that is missing. Without
// these every try would fail one by one with the same reason, or the best could not be written at the end.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { MergeBlockedError } from '../merge/executor';
import { describeParams, getMethod } from '../merge/methods';
import type { Recipe } from '../merge/recipe';
import type { Applies, GridDimension } from './search-grid';

/** The methods a search tries: the method dimension's values, or the recipe's own. */
export function searchedMethods(dims: GridDimension[], recipe: Recipe): string[] {
  const d = dims.find((x) => x.name === 'method');
  return d ? d.values!.map(String) : [recipe.method];
}

/** Whether a dimension changes a method's merge: α needs weights or a t, parameters.X needs X. */
export const appliesTo = (recipeMethod: string): Applies => (methodId, dim) => {
  const m = getMethod(methodId ?? recipeMethod);
  const names = new Set(describeParams(m).map((p) => p.name));
  if (dim === 'alpha') return m.usesWeights || names.has('t');
  if (dim.startsWith('weights.')) return m.usesWeights;
  if (dim.startsWith('parameters.')) return names.has(dim.slice('parameters.'.length));
  return true;
};

/** What a dimension may be set to, checked against the recipe. */
function dimensionProblem(d: GridDimension, models: number): string | undefined {
  if (d.name === 'method') {
    if (!d.values?.length) return 'the method dimension needs values (method names)';
    for (const v of d.values) getMethod(String(v));
    return undefined;
  }
  if (d.name === 'alpha') {
    if (models !== 2) return `alpha interpolates between two models; this recipe lists ${models} — vary a parameter (parameters.lambda, parameters.density…) or weights.I instead`;
  } else if (/^weights\.\d+$/.test(d.name)) {
    if (Number(d.name.split('.')[1]) >= models) return `${d.name}: the recipe lists ${models} models (numbered from 0)`;
  } else if (!/^parameters\.[A-Za-z_][\w]*$/.test(d.name)) {
    return `unknown search dimension "${d.name}"; use alpha, method, parameters.NAME or weights.I`;
  }
  if (d.values?.some((v) => typeof v !== 'number') && !d.name.startsWith('parameters.')) return `${d.name} takes numbers`;
  return undefined;
}

/** Every reason the search cannot start (empty: it can). `recipe` has its models and base resolved. */
export function searchProblems(dims: GridDimension[], recipe: Recipe): string[] {
  const problems: string[] = [];
  const models = recipe.models?.length ?? 0;
  const methods = searchedMethods(dims, recipe);
  for (const d of dims) {
    const p = dimensionProblem(d, models);
    if (p) problems.push(p);
  }
  if (problems.length) return problems;
  const applies = appliesTo(recipe.method);
  for (const d of dims) {
    if (d.name !== 'method' && !methods.some((m) => applies(m, d.name))) {
      problems.push(`${d.name} changes nothing for ${methods.map((m) => getMethod(m).label).join(', ')}; choose a parameter the method has`);
    }
  }
  for (const id of methods) {
    const m = getMethod(id);
    if (m.needsBase && !recipe.base) problems.push(`${m.label} needs a base model: choose one in the Base model field of the Scheme screen (in a recipe file, the key base); it merges the task vectors θᵢ − θ_b of the models`);
    if (models < m.minModels) problems.push(`${m.label} needs at least ${m.minModels} models; the recipe has ${models}`);
    if (m.maxModels !== undefined && models > m.maxModels) problems.push(`${m.label} takes at most ${m.maxModels} models; the recipe has ${models}`);
  }
  // Without an output path the best goes into its merge's own run folder, made then.
  const outDir = recipe.output?.path ? path.dirname(recipe.output.path) : undefined;
  if (outDir !== undefined && (!existsSync(outDir) || !statSync(outDir).isDirectory())) problems.push(`the output folder ${outDir} does not exist (the best merge is written there); create it or choose another output path`);
  return problems;
}

/** A failed try's whole reason on one line: every blocking problem, not the header before them. */
export function failureReason(e: unknown): string {
  if (e instanceof MergeBlockedError) return `the merge cannot run: ${e.blocking.join('; ')}`;
  const lines = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim().replace(/^- /, '')).filter(Boolean);
  return lines.length > 1 ? `${lines[0]} ${lines.slice(1).join('; ')}` : (lines[0] ?? 'unknown error');
}
