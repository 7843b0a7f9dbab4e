// `merge-studio mergekit import CONFIG.yml [-o recipe.yaml]` and `mergekit export RECIPE.yaml [-o config.yml]`:
// mergekit configs to recipes and back (main/engine/merge/mergekit.ts), with what was not carried on stderr.
import path from 'node:path';
import { writeFileAtomic } from '../engine/files/writeAtomic';
import { exportMergekit, importMergekit } from '../engine/merge/mergekit';
import { readConfigFile, rebaseRecipe } from '../engine/merge/mergekit-file';
import { loadRecipe, RecipeError, recipeToYaml, resolveRecipe } from '../engine/merge/recipe';
import { refuseExisting } from '../engine/workspace/output-guard';
import { CliError, type CliCommand } from './common';

async function readConfig(file: string): Promise<string> {
  try {
    return await readConfigFile(file);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

async function writeOut(file: string, text: string, overwrite: boolean): Promise<void> {
  try {
    refuseExisting([file], overwrite);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  await writeFileAtomic(file, text);
}

export const mergekitCommand: CliCommand = {
  name: 'mergekit',
  usage: 'mergekit import CONFIG.yml | export RECIPE.yaml [-o FILE]',
  summary: 'turn a mergekit config into a recipe, or a recipe into a mergekit config (what is not carried is listed)',
  help: [
    '',
    '  import CONFIG.yml [-o recipe.yaml] [--merged OUT] [--shard-size 5B]   the recipe (stdout without -o)',
    '  export RECIPE.yaml [-o config.yml]                                     the mergekit config (stdout without -o)',
    '',
    'The recipe writes a model folder, as mergekit does (weights sharded above --shard-size, config.json, the',
    'tokenizer, a README model card): OUT, or without --merged a folder "merged" in the merge\'s own run folder;',
    'an OUT named .safetensors or .pt writes one file.',
    'Model folders, sharded indexes and the Hugging Face cache (an org/name id) are read as mergekit reads them.',
    '',
    'Options: --overwrite to replace an existing -o file (--force is the same), --json for {recipe|yaml, notCarried} on stdout.',
    'Model paths that name files are rewritten relative to the written file; Hugging Face ids are kept.',
    'Everything that does not map exactly is printed on stderr as "not carried: …" (see docs/recipes.md).',
  ].join('\n'),
  example: 'mergekit import tests/fixtures/merge/mergekit/slerp.yml',
  options: { out: { type: 'string', short: 'o' }, merged: { type: 'string' }, 'shard-size': { type: 'string' }, overwrite: { type: 'boolean' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    const [action, file, ...extra] = positionals;
    if (!file || extra.length || (action !== 'import' && action !== 'export')) throw new CliError('usage: mergekit import CONFIG.yml [-o recipe.yaml] | mergekit export RECIPE.yaml [-o config.yml]');
    const out = values.out as string | undefined;
    const from = path.dirname(path.resolve(file));
    const to = out ? path.dirname(path.resolve(out)) : process.cwd();
    let text: string;
    let notCarried: string[];
    let json: Record<string, unknown>;
    if (action === 'import') {
      let imported;
      try {
        imported = importMergekit(await readConfig(file), { output: values.merged as string | undefined });
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError(`${file}: ${(e as Error).message.split('\n').join('; ')}`);
      }
      const shardSize = values['shard-size'] as string | undefined;
      if (shardSize !== undefined && !imported.recipe.output?.folder) throw new CliError('--shard-size is for a model folder output; --merged names one file');
      if (shardSize !== undefined && !/^\d+[kKmMbB]?$/.test(shardSize)) throw new CliError(`--shard-size ${shardSize}: give a number of bytes, like 5000000000, 500M or 5B`);
      const recipe = rebaseRecipe(shardSize === undefined ? imported.recipe : { ...imported.recipe, output: { ...imported.recipe.output, shard_size: shardSize } }, from, to);
      notCarried = imported.notCarried;
      text = recipeToYaml(recipe);
      json = { recipe, notCarried };
    } else {
      let loaded;
      try {
        loaded = await loadRecipe(file);
      } catch (e) {
        if (e instanceof RecipeError) throw new CliError(e.message.split('\n').join('; '));
        throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      // A checkpoint folder is expanded into its files (mergekit needs them listed).
      const recipe = loaded.recipe.checkpoints
        ? { ...loaded.recipe, checkpoints: undefined, models: (await resolveRecipe(loaded.recipe, loaded.baseDir)).models.map((m) => ({ path: m.path })) }
        : loaded.recipe;
      const exported = exportMergekit(rebaseRecipe(recipe, loaded.baseDir, to));
      notCarried = exported.notCarried;
      text = exported.yaml;
      json = { yaml: text, notCarried };
    }
    if (out) await writeOut(out, text, values.overwrite === true || values.force === true);
    if (values.json) console.log(JSON.stringify(json, null, 2));
    else if (!out) process.stdout.write(text);
    for (const n of notCarried) console.error(`not carried: ${n}`);
    if (out && !values.json) console.error(`wrote ${out}`);
    return 0;
  },
};
