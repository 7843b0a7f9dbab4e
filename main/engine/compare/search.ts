// Parameter search: the merge parameters (α, weights, density, λ, the method itself) that maximise held-out
// accuracy within a budget of evaluations. Which tries, and in what order, is search-grid.ts; what is refused
// before the first try is search-checks.ts.
// Each try is merged in memory by the merge engine and scored on the held-out split (live "search" metrics);
// a try that cannot merge is kept with its whole reason. The best (highest held-out accuracy, then lowest
// loss) is written by runMerge and scored on the test split.
import path from 'node:path';
import { loadDataset } from '../data';
import { evaluateModel } from '../evaluate';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { runMerge } from '../merge/executor';
import { describeParams, getMethod } from '../merge/methods';
import { checkRecipe, resolveRecipe, type Recipe } from '../merge/recipe';
import { RECIPE_OVERWRITE_HINT, refuseExisting } from '../workspace/output-guard';
import { RunFolder } from '../workspace/run-folder';
import { namesOf, runLabel } from '../workspace/run-label';
import { netModel, type Net } from '../models/load-net';
import { writeAtomic } from '../train/run-files';
import { mergeInMemory } from './merge-in-memory';
import { checkClasses, resolveModel } from './models';
import { appliesTo, failureReason, searchProblems } from './search-checks';
import { gridPoints, randomPoints, type SearchValues } from './search-grid';
import { SearchRequestSchema, type SearchDimension, type SearchRequest, type SearchResult, type SearchTrial } from './types';

export interface SearchOptions { workspace?: string }

/** The recipe for one try: `alpha` sets the weights to (1 − α, α) and, for a method with a t (SLERP), t = α. */
export function applyValues(base: Recipe, values: SearchValues): Recipe {
  const r: Recipe = { ...base, parameters: { ...(base.parameters ?? {}) }, models: base.models?.map((m) => ({ ...m })) };
  if (values.method !== undefined) r.method = String(values.method);
  const method = getMethod(r.method);
  const names = new Set(describeParams(method).map((p) => p.name));
  // Only the parameters the method has: a grid over methods must not hand SLERP a density.
  r.parameters = Object.fromEntries(Object.entries(r.parameters!).filter(([k]) => names.has(k)));
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith('parameters.')) { const p = k.slice(11); if (names.has(p)) r.parameters![p] = v; }
    else if (k.startsWith('weights.')) r.models![Number(k.slice(8))].weight = Number(v);
    else if (k === 'alpha') {
      const a = Number(v);
      if (method.usesWeights) { r.models![0].weight = 1 - a; r.models![1].weight = a; }
      if (names.has('t')) r.parameters!.t = a;
    }
  }
  if (!Object.keys(r.parameters!).length) delete r.parameters;
  return r;
}

/** The tries of a search, in order (search-grid.ts); `recipeMethod` is the method when none is varied. */
export function searchPoints(dims: SearchDimension[], budget: number, strategy: 'grid' | 'random', seed: number, recipeMethod: string): SearchValues[] {
  const applies = appliesTo(recipeMethod);
  return strategy === 'random' ? randomPoints(dims, budget, seed, applies) : gridPoints(dims, budget, applies);
}

const labelOf = (v: SearchValues) => Object.entries(v).map(([k, x]) => `${k.replace(/^parameters\./, '')} ${x}`).join(', ');

export async function runSearch(raw: SearchRequest, ctx: JobContext = silentContext(), o: SearchOptions = {}): Promise<SearchResult> {
  const started = Date.now();
  const req = SearchRequestSchema.parse(raw);
  if (req.test && req.test === req.heldout) throw new Error(`the held-out split (${req.heldout}) must not be the test split; search on one (e.g. mnist:val) and report on the other (mnist:test)`);
  const baseDir = req.baseDir ?? process.cwd();
  const recipe = checkRecipe(req.recipe);
  // Checkpoints become a list of models, so weights and α can address them.
  const resolved = await resolveRecipe(recipe, baseDir);
  const base: Recipe = { ...recipe, checkpoints: undefined, models: resolved.models.map((m) => ({ path: m.path, ...(m.weight !== 1 ? { weight: m.weight } : {}), ...(m.parameters ? { parameters: m.parameters } : {}) })), ...(resolved.base ? { base: resolved.base } : {}), ...(recipe.output ? { output: { ...recipe.output, ...(recipe.output.path ? { path: resolved.output.path } : {}) } } : {}) };
  delete base.checkpoints;
  const problems = searchProblems(req.dimensions, base);
  if (problems.length) throw new Error(problems.join('; '));
  const points = searchPoints(req.dimensions, req.budget, req.strategy, req.seed, base.method);
  // The best is written at the end, to the recipe's output: a file that exists is refused now, not after every try.
  if (!resolved.output.inRunFolder) refuseExisting([resolved.output.path], resolved.output.overwrite, RECIPE_OVERWRITE_HINT);
  const run = o.workspace
    ? await RunFolder.create(o.workspace, 'search', `${JSON.stringify({ ...req, recipe: base }, null, 2)}\n`, { kind: 'search', label: runLabel('search', `${req.dimensions.map((d) => d.name).join(' × ')} for ${recipe.method} of ${namesOf(resolved.models.map((m) => m.path))}`), title: `${req.strategy} search over ${req.dimensions.map((d) => d.name).join(' × ')} (${points.length} tries)`, heldout: req.heldout, test: req.test, models: base.models })
    : undefined;
  const log = (m: string) => { ctx.log(m); run?.log(m); };
  try {
    const heldout = await loadDataset(req.heldout, ctx);
    const test = req.test ? await loadDataset(req.test, ctx) : undefined;
    const sessionOptions = req.threads ? { intraOpNumThreads: req.threads } : undefined;
    const files = [...base.models!.map((m) => m.path), ...(base.base ? [base.base] : [])];
    const nets = new Map<string, Net>();
    for (const f of files) {
      const m = await resolveModel({ path: f }, heldout, o.workspace);
      const net = await m.net();
      checkClasses(m.label, net.graph.numClasses, heldout);
      nets.set(path.resolve(f), net);
    }
    const first = nets.get(path.resolve(files[0]))!;
    const trials: SearchTrial[] = [];
    for (const [i, values] of points.entries()) {
      throwIfCancelled(ctx);
      const label = labelOf(values);
      let trial: SearchTrial;
      try {
        const r = checkRecipe(applyValues(base, values));
        const state = await mergeInMemory(r, nets, baseDir, ctx);
        const ev = await evaluateModel(netModel(first, state), heldout, { sessionOptions });
        trial = { trial: i + 1, values, accuracy: ev.accuracy, loss: ev.loss, label };
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        trial = { trial: i + 1, values, accuracy: NaN, loss: NaN, label, error: failureReason(e) };
      }
      trials.push(trial);
      ctx.metric('search', { ...trial });
      ctx.progress({ done: i + 1, total: points.length, unit: 'tries', message: trial.error ? `${label}: ${trial.error}` : `${label}: held-out ${(100 * trial.accuracy).toFixed(2)} %` });
      log(`try ${i + 1}/${points.length} ${label}: ${trial.error ?? `held-out accuracy ${(100 * trial.accuracy).toFixed(2)} %, loss ${trial.loss.toFixed(4)}`}`);
    }
    const scored = trials.filter((t) => !t.error);
    if (!scored.length) throw new Error(`no try could be merged: ${[...new Set(trials.map((t) => t.error))].join(' | ') || 'no tries'}`);
    const best = scored.reduce((b, t) => (t.accuracy > b.accuracy || (t.accuracy === b.accuracy && t.loss < b.loss) ? t : b));
    const bestRecipe = checkRecipe({ ...applyValues(base, best.values), name: `search best: ${best.label}` });
    const merged = await runMerge(bestRecipe, ctx, { baseDir, workspace: o.workspace });
    const written = await resolveModel({ path: merged.output.path }, heldout, o.workspace);
    const h = await evaluateModel(written.model, heldout, { sessionOptions });
    const t = test ? await evaluateModel(written.model, test, { sessionOptions }) : undefined;
    log(`best: ${best.label} — held-out ${(100 * h.accuracy).toFixed(2)} %${t ? `, test ${(100 * t.accuracy).toFixed(2)} %` : ''} → ${merged.output.path}`);
    const result: SearchResult = {
      strategy: req.strategy, heldout: heldout.id, ...(test ? { test: test.id } : {}), dimensions: req.dimensions, trials, best,
      output: { path: merged.output.path, sha256: merged.output.sha256, recipe: bestRecipe as Record<string, unknown>, heldout: h.accuracy, ...(t ? { test: t.accuracy } : {}), ...(merged.runDir ? { mergeRunDir: merged.runDir } : {}) },
      seconds: (Date.now() - started) / 1000,
    };
    if (run) {
      result.runDir = run.dir;
      await writeAtomic(path.join(run.dir, 'eval.json'), `${JSON.stringify(result, null, 2)}\n`);
      await run.finish('succeeded', { accuracy: t?.accuracy ?? h.accuracy, inputs: files, outputs: [merged.output.path], best: best.values });
    }
    return result;
  } catch (e) {
    await run?.finish(ctx.signal.aborted ? 'cancelled' : 'failed', ctx.signal.aborted ? {} : { error: (e as Error).message }).catch(() => {});
    throw e;
  }
}
