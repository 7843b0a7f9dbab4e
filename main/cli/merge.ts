// `merge-studio merge RECIPE.yaml [--json]`: the Scheme screen's recipe, headless, with a progress bar.
import { runMerge } from '../engine/merge/executor';
import { loadRecipe, RecipeError } from '../engine/merge/recipe';
import { defaultWorkspace } from '../engine/environment';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

export const mergeCommand: CliCommand = {
  name: 'merge',
  usage: 'merge RECIPE.yaml [--json] [--workspace-dir DIR]',
  summary: 'run a merge recipe (see docs/recipes.md) and record the run in the workspace',
  // `--workspace-dir`, not `--workspace`: npm takes --workspace as its own flag under `npx`.
  options: { json: { type: 'boolean' }, 'workspace-dir': { type: 'string' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one recipe file');
    let loaded;
    try {
      loaded = await loadRecipe(positionals[0]);
    } catch (err) {
      // Every problem of a recipe, each with its key and line: one line each.
      if (err instanceof RecipeError) throw new CliError(err.message.split('\n').join('; '));
      throw err;
    }
    const { recipe, baseDir } = loaded;
    return inTerminal('merging', values.json === true, 'cancelled; nothing was written', async (ctx) => {
      const result = await runMerge(recipe, ctx, { baseDir, workspace: (values['workspace-dir'] as string | undefined) ?? defaultWorkspace() });
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(`wrote ${result.output.path} (${(result.output.bytes / 1e6).toFixed(2)} MB, sha256 ${result.output.sha256})`);
        for (const w of result.warnings) console.log(`warning: ${w}`);
        if (result.runDir) console.log(`run recorded in ${result.runDir}`);
      }
      return 0;
    });
  },
};
