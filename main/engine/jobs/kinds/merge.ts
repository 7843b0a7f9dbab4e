// Merge jobs and the Scheme screen's recipe calls: validate the GUI's recipe exactly as a YAML file is
// validated, check every path it names, then pre-flight or run it.
import path from 'node:path';
import { runMerge, type MergeResult, type RunMergeOptions } from '../../merge/executor';
import { findMethod } from '../../merge/methods';
import { checkRecipe, resolveRecipe, type AlignSpec, type DataSpec, type Recipe } from '../../merge/recipe';
import { checkDataset } from './datasets';
import type { JobContext } from '../../job-context';

/** The recipe with every path made absolute against baseDir and passed through `checkPath`. */
export function checkRecipePaths(value: unknown, baseDir: string, checkPath: (p: string) => string): Recipe {
  const recipe = checkRecipe(value);
  const abs = (p: string) => checkPath(path.resolve(baseDir, p));
  return {
    ...recipe,
    ...(recipe.models ? { models: recipe.models.map((m) => ({ ...m, path: abs(m.path) })) } : {}),
    ...(recipe.checkpoints ? { checkpoints: { ...recipe.checkpoints, dir: abs(recipe.checkpoints.dir) } } : {}),
    ...(recipe.base ? { base: abs(recipe.base) } : {}),
    ...(recipe.align ? { align: checkAlignPaths(recipe.align, abs, checkPath) } : {}),
    ...(recipe.data ? { data: checkDataPaths(recipe.data, abs, checkPath) } : {}),
    ...(recipe.output ? { output: { ...recipe.output, ...(recipe.output.path ? { path: abs(recipe.output.path) } : {}) } } : {}),
  };
}

/** The align section's graph (made absolute like the models) and its data sample (judged as the loader reads it). */
function checkAlignPaths(a: AlignSpec, abs: (p: string) => string, checkPath: (p: string) => string): AlignSpec {
  if (a.dataset) checkDataset('align.dataset', a.dataset, checkPath);
  return { ...a, ...(a.graph ? { graph: abs(a.graph) } : {}) };
}

/** The data block's samples (judged as the loader reads them) and graph (made absolute like the models). */
function checkDataPaths(d: DataSpec, abs: (p: string) => string, checkPath: (p: string) => string): DataSpec {
  for (const spec of Array.isArray(d.dataset) ? d.dataset : [d.dataset]) checkDataset('data.dataset', spec, checkPath);
  return { ...d, ...(d.graph ? { graph: abs(d.graph) } : {}) };
}

export function mergeTitle(r: Recipe): string {
  const n = r.models?.length ?? 0;
  const what = r.checkpoints ? `checkpoints in ${path.basename(r.checkpoints.dir)}` : `${n} model${n === 1 ? '' : 's'}`;
  const base = r.base ? ` onto base ${path.basename(r.base)}` : '';
  // The method as users know it ("TIES", "Task arithmetic"), not its recipe key.
  const method = findMethod(r.method)?.label ?? r.method;
  return `Merge ${what}${base} with ${method} → ${r.output?.path ? path.basename(r.output.path) : 'its run folder'}`;
}

/**
 * A merge job: the executor's progress (bytes of the inputs read) labelled with how many inputs there are,
 * so the Run screen says "read 12.0 MB of 37.0 MB from 3 inputs" rather than bare numbers.
 */
export async function runMergeJob(recipe: Recipe, ctx: JobContext, options: RunMergeOptions): Promise<MergeResult> {
  const resolved = await resolveRecipe(recipe, options.baseDir ?? process.cwd());
  const inputs = resolved.models.length + (resolved.base ? 1 : 0);
  const of = `${inputs} input${inputs === 1 ? '' : 's'}`;
  const labelled: JobContext = {
    ...ctx,
    // Before the first tensor (total 0: opening and hashing) there is nothing read to count yet.
    progress: (u) => ctx.progress({ ...u, label: u.total > 0 ? `read {done} of {total} from ${of}` : `opening ${of}` }),
  };
  return runMerge(resolved, labelled, options);
}
