// Before a merge reads anything: the recipe resolved, what a killed run left swept away, the run folder
// made (with a workspace), and the models aligned when the recipe asks for it.
import path from 'node:path';
import { registryIO, type MergeIO } from '../formats/model-io';
import { writeFileAtomic } from '../files/writeAtomic';
import type { JobContext } from '../job-context';
import { describeSweep, sweepLeftovers } from '../workspace/leftovers';
import { prepareAlignment } from '../align/recipe-align';
import { recipeToYaml, resolveRecipe, type Recipe, type ResolvedRecipe } from './recipe';
import { RunFolder } from './runs';

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

export async function startRun(recipe: Recipe | ResolvedRecipe, ctx: JobContext, options: { baseDir?: string; workspace?: string; io?: MergeIO }): Promise<StartedRun> {
  const resolved = isResolved(recipe) ? recipe : await resolveRecipe(recipe, options.baseDir ?? process.cwd());
  const recipeYaml = recipeToYaml(resolved.recipe);
  // What a killed run left (its temp output beside ours, its run.json saying "running") goes first.
  // (a model folder's shards are written inside it)
  const outDirs = [path.dirname(resolved.output.path), ...(resolved.output.folder ? [resolved.output.path] : [])];
  const swept = describeSweep(await sweepLeftovers({ workspace: options.workspace, dirs: outDirs }));
  const run = options.workspace
    ? await RunFolder.create(options.workspace, resolved.recipe.name ?? `${resolved.method}-${path.parse(resolved.output.path).name}`, recipeYaml, {
      method: resolved.method,
      output: resolved.output.path,
      inputs: [...resolved.models.map((m) => m.path), ...(resolved.base ? [resolved.base] : [])],
    })
    : undefined;
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
