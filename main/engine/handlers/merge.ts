// Handlers of merging: methods, pre-flight, recipes (YAML, files, mergekit), and the merge job.
import path from 'node:path';
import { calls } from '../api';
import { defaultWorkspace } from '../environment';
import { writeFileAtomic } from '../files/writeAtomic';
import { checkRecipePaths, mergeTitle, runMergeJob } from '../jobs/kinds/merge';
import { describeMethods } from '../merge/methods';
import { exportMergekit, importMergekit } from '../merge/mergekit';
import { readConfigFile, rebaseRecipe } from '../merge/mergekit-file';
import { runPreflight } from '../merge/preflight';
import { checkRecipe, loadRecipe, parseRecipe, recipeToYaml } from '../merge/recipe';
import type { HandlerContext, Handlers, JobStarters } from './types';

type MergeCalls = 'mergeMethods' | 'preflightMerge' | 'recipeToYaml' | 'recipeFromYaml' | 'saveRecipe' | 'loadRecipe' | 'importMergekit' | 'exportMergekit';

export function mergeHandlers(ctx: HandlerContext): Pick<Handlers, MergeCalls> {
  const { checkPath } = ctx;
  return {
    mergeMethods: async () => describeMethods(),
    preflightMerge: async (raw) => {
      const a = calls.preflightMerge.args.parse(raw);
      const baseDir = a.baseDir ?? defaultWorkspace();
      return runPreflight(checkRecipePaths(a.recipe, baseDir, checkPath), { baseDir });
    },
    recipeToYaml: async (raw) => ({ yaml: recipeToYaml(checkRecipe(calls.recipeToYaml.args.parse(raw).recipe)) }),
    recipeFromYaml: async (raw) => ({ recipe: parseRecipe(calls.recipeFromYaml.args.parse(raw).yaml) }),
    saveRecipe: async (raw) => {
      const a = calls.saveRecipe.args.parse(raw);
      const file = checkPath(a.path);
      await writeFileAtomic(file, recipeToYaml(checkRecipe(a.recipe)));
      return { path: file };
    },
    loadRecipe: async (raw) => loadRecipe(checkPath(calls.loadRecipe.args.parse(raw).path), { echo: ctx.mode === 'cli' ? 'all' : 'recipes' }),
    importMergekit: async (raw) => {
      const a = calls.importMergekit.args.parse(raw);
      if (a.path === undefined) {
        const r = importMergekit(a.yaml!);
        return { recipe: r.recipe, dropped: r.notCarried };
      }
      // A config's model paths are relative to it: the ones that name files there become absolute.
      const file = checkPath(a.path);
      const r = importMergekit(await readConfigFile(file));
      return { recipe: rebaseRecipe(r.recipe, path.dirname(path.resolve(file))), dropped: r.notCarried };
    },
    exportMergekit: async (raw) => {
      const r = exportMergekit(checkRecipe(calls.exportMergekit.args.parse(raw).recipe));
      return { yaml: r.yaml, dropped: r.notCarried };
    },
  };
}

export function mergeJobs(ctx: HandlerContext): Pick<JobStarters, 'merge'> {
  return {
    merge: (params) => {
      const baseDir = params.baseDir ?? defaultWorkspace();
      const recipe = checkRecipePaths(params.recipe, baseDir, ctx.checkPath);
      return ctx.runner.submit('merge', mergeTitle(recipe), (job) => runMergeJob(recipe, job, { baseDir, workspace: defaultWorkspace() }));
    },
  };
}
