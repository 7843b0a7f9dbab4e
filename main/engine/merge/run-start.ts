// Before a merge reads anything: the recipe resolved, what a killed run left swept away, the run folder
// made (with a workspace), and the models aligned when the recipe asks for it.
import path from 'node:path';
import { registryIO, type MergeIO } from '../formats/model-io';
import { writeFileAtomic } from '../files/writeAtomic';
import type { JobContext } from '../job-context';
import { describeSweep, sweepLeftovers } from '../workspace/leftovers';
import { prepareAlignment } from '../align/recipe-align';
import { RECIPE_OVERWRITE_HINT, refuseExisting } from '../workspace/output-guard';
import { namesOf, runLabel } from '../workspace/run-label';
import { RunFolder } from '../workspace/run-folder';
import { RecipeError, recipeToYaml, resolveRecipe, type Recipe, type ResolvedRecipe } from './recipe';

export interface StartedRun {
  resolved: ResolvedRecipe;
  recipeYaml: string;
  /** How files are opened and written: through the alignment when there is one. */
  io: MergeIO;
  /** The run's folder, with a workspace. */
  run?: RunFolder;
  /** Logs to the job and to the run's folder. */
  log: (message: string) => void;
}

function isResolved(r: Recipe | ResolvedRecipe): r is ResolvedRecipe {
  return (r as ResolvedRecipe).recipe !== undefined && (r as ResolvedRecipe).baseDir !== undefined;
}

/** "merge · mean of epoch-004, epoch-005, epoch-006", "merge · ties of math, code onto base". */
export function mergeLabel(r: Pick<ResolvedRecipe, 'method' | 'models' | 'base'>): string {
  return runLabel('merge', `${r.method} of ${namesOf(r.models.map((m) => m.path))}${r.base ? ` onto ${namesOf([r.base])}` : ''}`);
}

/**
 * The output checked before anything is made: a recipe without a path needs a run folder to write into, and a
 * file that exists is not replaced unless the recipe says overwrite (an input is left to the pre-flight, which
 * says "inputs are never overwritten").
 */
function checkOutput(r: ResolvedRecipe, workspace: string | undefined): void {
  if (r.output.inRunFolder) {
    if (!workspace) throw new RecipeError('recipe', [{ key: 'output.path', message: 'missing: without a workspace the merge has no run folder to write into; name the output file' }]);
    return;
  }
  const inputs = [...r.models.map((m) => m.path), ...(r.base ? [r.base] : [])].map((p) => path.resolve(p));
  if (!inputs.includes(path.resolve(r.output.path))) refuseExisting([r.output.path], r.output.overwrite, RECIPE_OVERWRITE_HINT);
}

export async function startRun(recipe: Recipe | ResolvedRecipe, ctx: JobContext, options: { baseDir?: string; workspace?: string; io?: MergeIO }): Promise<StartedRun> {
  const draft = isResolved(recipe) ? recipe : await resolveRecipe(recipe, options.baseDir ?? process.cwd());
  checkOutput(draft, options.workspace);
  const recipeYaml = recipeToYaml(draft.recipe);
  // What a killed run left (its temp output beside ours, its run.json saying "running") goes first.
  // (a model folder's shards are written inside it)
  const outDirs = draft.output.inRunFolder ? [] : [path.dirname(draft.output.path), ...(draft.output.folder ? [draft.output.path] : [])];
  const swept = describeSweep(await sweepLeftovers({ workspace: options.workspace, dirs: outDirs }));
  // The output's path once the run's folder exists (the recipe's own when it names one).
  const outputIn = (dir: string) => (draft.output.inRunFolder ? path.join(dir, path.basename(draft.output.path)) : draft.output.path);
  const slug = draft.recipe.name ?? (draft.output.inRunFolder ? draft.method : `${draft.method}-${path.parse(draft.output.path).name}`);
  const run = options.workspace
    ? await RunFolder.create(options.workspace, slug, recipeYaml, (dir) => ({
      kind: 'merge',
      label: mergeLabel(draft),
      method: draft.method,
      output: outputIn(dir),
      inputs: [...draft.models.map((m) => ({ path: m.path, role: 'model' })), ...(draft.base ? [{ path: draft.base, role: 'base' }] : [])],
    }))
    : undefined;
  const resolved: ResolvedRecipe = run ? { ...draft, output: { ...draft.output, path: outputIn(run.dir) } } : draft;
  const log = (m: string) => { ctx.log(m); run?.log(m); };
  if (swept) log(swept);
  const io = resolved.recipe.align ? await alignModels(resolved, options.io ?? registryIO, ctx, log, run) : options.io ?? registryIO;
  return { resolved, recipeYaml, io, run, log };
}

/**
 * The other models aligned to the first in memory: the merge reads them (and writes) through the `io`
 * returned. The alignment's report goes to the run's folder; a failure finishes the run.
 */
async function alignModels(resolved: ResolvedRecipe, io: MergeIO, ctx: JobContext, log: (message: string) => void, run: RunFolder | undefined): Promise<MergeIO> {
  try {
    const logged = { ...ctx, log };
    const a = await prepareAlignment(resolved.models, resolved.recipe.align!, io, logged);
    if (run) await writeFileAtomic(path.join(run.dir, 'alignment.json'), `${JSON.stringify({ ...a.report, repair: a.repair }, null, 2)}\n`);
    return a.io;
  } catch (e) {
    await run?.finish(ctx.signal.aborted ? 'cancelled' : 'failed', ctx.signal.aborted ? {} : { error: (e as Error).message }).catch(() => {});
    throw e;
  }
}
