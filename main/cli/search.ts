// `merge-studio search RECIPE.yaml --vary alpha=0:1 --budget N --heldout mnist:val`: merge parameters that
// maximise held-out accuracy (engine/compare/search.ts); the best is written to the recipe's output (without
// one, into the best merge's run folder). A failed try's line holds its whole reason (the engine joins a
// refusal's lines).
import { runSearch } from '../engine/compare/search';
import { defaultWorkspace } from '../engine/environment';
import { loadRecipe, RecipeError } from '../engine/merge/recipe';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

/** alpha=0:1 (a range), method=weighted,slerp or parameters.density=0.3,0.5 (values). */
export function parseVary(text: string): { name: string; min?: number; max?: number; values?: (number | string)[] } {
  const m = /^([\w.]+)=(.+)$/.exec(text.trim());
  if (!m) throw new CliError(`--vary ${text}: write NAME=MIN:MAX or NAME=V1,V2,… (e.g. alpha=0:1, method=weighted,slerp)`);
  const [, name, spec] = m;
  const range = /^(-?[\d.]+):(-?[\d.]+)$/.exec(spec);
  if (range) return { name, min: Number(range[1]), max: Number(range[2]) };
  return { name, values: spec.split(',').map((v) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v.trim())) };
}

export const searchCommand: CliCommand = {
  name: 'search',
  usage: 'search RECIPE.yaml --vary NAME=… --budget N --heldout SPEC',
  summary: 'find merge parameters that maximise held-out accuracy',
  help: `
Options:
  --vary NAME=MIN:MAX | NAME=V1,V2   a dimension, repeatable: alpha (weights 1−α, α; SLERP's t), method,
                                     parameters.NAME (density, t, lambda…), weights.I (model I's weight)
  --budget N            evaluations at most (default 11): split evenly over the methods, each numeric
                        range taking as many distinct values as its share of tries
  --strategy grid|random   (default grid)   --seed S (random)
  --heldout SPEC        the split the search scores on (e.g. mnist:val)
  --test SPEC           the best is reported on it (e.g. mnist:test)
  --workspace-dir DIR   where the runs are recorded (default ${defaultWorkspace()})
  --overwrite           replace the recipe's output file when it exists (refused before the first try otherwise)
  --json                print every try and the best
A try the merge engine refuses is listed with its whole reason; a method that needs a base model (ties,
task_arithmetic, dare_*…) is refused before the first try when the recipe has none.
The best merge goes to the recipe's output.path, or, without one, into its run's own folder. For instance:
  merge-studio search two.yaml --vary alpha=0:1 --vary method=weighted,slerp --budget 12 --heldout mnist:val --test mnist:test
  merge-studio search ties.yaml --vary parameters.lambda=0:2 --budget 11 --heldout mnist:val`,
  example: 'search docs/examples/two-cnns.yaml --vary alpha=0:1 --budget 3 --heldout mnist:val --workspace-dir out/examples/workspace',
  options: { vary: { type: 'string', multiple: true }, budget: { type: 'string' }, strategy: { type: 'string' }, seed: { type: 'string' }, heldout: { type: 'string' }, test: { type: 'string' }, 'workspace-dir': { type: 'string' }, overwrite: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one recipe file');
    const vary = (values.vary as string[] | undefined) ?? [];
    if (!vary.length) throw new CliError('give at least one --vary NAME=…');
    if (!values.heldout) throw new CliError('give --heldout SPEC, the split the search scores on (e.g. mnist:val)');
    const budget = values.budget === undefined ? 11 : Number(values.budget);
    if (!(Number.isInteger(budget) && budget >= 1)) throw new CliError('--budget must be a positive integer');
    const strategy = (values.strategy as string | undefined) ?? 'grid';
    if (strategy !== 'grid' && strategy !== 'random') throw new CliError('--strategy is grid or random');
    let loaded;
    try { loaded = await loadRecipe(positionals[0]); } catch (e) {
      if (e instanceof RecipeError) throw new CliError(e.message.split('\n').join('; '));
      throw e;
    }
    return inTerminal('searching', values.json === true, 'cancelled', async (ctx) => {
      const r = await runSearch({
        recipe: (values.overwrite ? { ...loaded.recipe, output: { ...loaded.recipe.output, overwrite: true } } : loaded.recipe) as Record<string, unknown>, baseDir: loaded.baseDir, dimensions: vary.map(parseVary), budget, strategy,
        seed: values.seed === undefined ? 0 : Number(values.seed), heldout: values.heldout as string, ...(values.test ? { test: values.test as string } : {}),
      }, ctx, { workspace: (values['workspace-dir'] as string | undefined) ?? defaultWorkspace() });
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else {
        for (const t of r.trials) console.log(`${String(t.trial).padStart(3)}  ${t.label.padEnd(36)} ${t.error ?? `${(100 * t.accuracy).toFixed(2)} %`}`);
        console.log(`best: ${r.best.label} — held-out ${(100 * r.output.heldout).toFixed(2)} %${r.output.test !== undefined ? `, test ${(100 * r.output.test).toFixed(2)} %` : ''} → ${r.output.path}`);
      }
      return 0;
    });
  },
};
