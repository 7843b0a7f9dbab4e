// `merge-studio merge RECIPE.yaml [--json]`: the Scheme screen's recipe, headless, with a progress bar.
import { runMerge } from '../engine/merge/executor';
import { describeMethods } from '../engine/merge/methods';
import { loadRecipe, RecipeError } from '../engine/merge/recipe';
import { defaultWorkspace } from '../engine/environment';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

export const mergeCommand: CliCommand = {
  name: 'merge',
  usage: 'merge RECIPE.yaml [--json] [--workspace-dir DIR] [--overwrite]',
  summary: 'run a merge recipe (see docs/recipes.md) and record the run in the workspace',
  get help() { return mergeHelp(); },
  // `--workspace-dir`, not `--workspace`: npm takes --workspace as its own flag under `npx`.
  optionHelp: {
    json: 'print the result (output path, bytes, SHA-256 of output and parents, counts, warnings) as JSON',
    'workspace-dir': ['DIR', 'record the run under DIR/runs/<time>-<name>/ (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)'],
    overwrite: 'replace the recipe\'s output file when it exists (as output.overwrite: true does); without it nothing is replaced',
  },
  example: 'merge docs/examples/mean-of-three.yaml --workspace-dir out/examples/workspace',
  options: { json: { type: 'boolean' }, 'workspace-dir': { type: 'string' }, overwrite: { type: 'boolean' } },
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
    const { baseDir } = loaded;
    const recipe = values.overwrite ? { ...loaded.recipe, output: { ...loaded.recipe.output, overwrite: true } } : loaded.recipe;
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

/** The methods come from the method registry, so a new method shows here without editing this text. */
function mergeHelp(): string {
  const methods = describeMethods();
  const width = Math.max(...methods.map((m) => m.id.length));
  const needs = (m: (typeof methods)[number]) => [
    m.needsBase ? 'needs base' : m.acceptsBase ? 'base optional' : '',
    m.needsData ? 'needs a data sample (data: {dataset, samples})' : '',
    m.minModels > 1 ? `${m.minModels}${m.maxModels === m.minModels ? '' : '+'} models` : '',
    m.params.length ? `parameters: ${m.params.map((p) => `${p.name} (${p.default})`).join(', ')}` : '',
  ].filter(Boolean).join('; ');
  return `
A recipe names the models, the method and its parameters, per-layer rules and the output; relative paths
resolve against the recipe's folder. Every key: docs/recipes.md. The Scheme screen writes the same file.
Without output.path the merge writes into its run's own new folder (merged.safetensors, or merged.onnx for
ONNX models); a file that exists is never replaced unless the recipe says output.overwrite: true (or --overwrite).

Methods (recipe key "method"):
${methods.map((m) => `  ${m.id.padEnd(width)}  ${m.label}${needs(m) ? ` — ${needs(m)}` : ''}`).join('\n')}

Example — the mean of three checkpoints:
  # mean.yaml
  method: mean
  models: [run/epoch-008.safetensors, run/epoch-009.safetensors, run/epoch-010.safetensors]
  output: {path: mean.safetensors}     # or leave output out: <run folder>/merged.safetensors

  merge-studio merge mean.yaml

TIES with a base model (task vectors are measured from it):
  method: ties
  models: [math.pt, code.pt]
  base: base.pt
  parameters: {density: 0.5, lambda: 1}
  output: {path: ties.safetensors}

Exit codes: 0 written; 2 the recipe, a file or the pre-flight refused the merge, or it failed (the reasons are
printed); 130 cancelled (nothing is left at the output).`;
}
