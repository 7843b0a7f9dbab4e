// `merge-studio mergekit import CONFIG.yml [-o recipe.yaml]` and `mergekit export RECIPE.yaml [-o config.yml]`:
// mergekit configs to recipes and back (main/engine/merge/mergekit.ts), with what was not carried on stderr.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../engine/files/writeAtomic';
import { exportMergekit, importMergekit } from '../engine/merge/mergekit';
import { loadRecipe, RecipeError, recipeToYaml, resolveRecipe, type Recipe } from '../engine/merge/recipe';
import { CliError, type CliCommand } from './common';

/** A config is a small text file; anything bigger is not one. */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * A model path relative to `from` that names a file there, made relative to `to` (where the written file
 * will be read from), or absolute when it lies outside `to`; anything else (a Hugging Face id, an absolute
 * path) as it is.
 */
function rebase(p: string, from: string, to: string): string {
  if (path.isAbsolute(p) || !existsSync(path.resolve(from, p))) return p;
  const abs = path.resolve(from, p);
  const rel = path.relative(to, abs);
  return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
}

function rebaseRecipe(r: Recipe, from: string, to: string): Recipe {
  return {
    ...r,
    ...(r.models ? { models: r.models.map((m) => ({ ...m, path: rebase(m.path, from, to) })) } : {}),
    ...(r.base ? { base: rebase(r.base, from, to) } : {}),
  };
}

async function readConfig(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_CONFIG_BYTES) throw new CliError(`${file} is ${size} bytes; a mergekit config is a small YAML file (at most ${MAX_CONFIG_BYTES})`);
  return readFile(file, 'utf8');
}

async function writeOut(file: string, text: string, force: boolean): Promise<void> {
  if (existsSync(file) && !force) throw new CliError(`${file} exists; choose another name or add --force to replace it`);
  await writeFileAtomic(file, text);
}

export const mergekitCommand: CliCommand = {
  name: 'mergekit',
  usage: 'mergekit import CONFIG.yml | export RECIPE.yaml [-o FILE]',
  summary: 'turn a mergekit config into a recipe, or a recipe into a mergekit config (what is not carried is listed)',
  help: [
    '',
    '  import CONFIG.yml [-o recipe.yaml] [--merged OUT.safetensors]   the recipe (stdout without -o)',
    '  export RECIPE.yaml [-o config.yml]                               the mergekit config (stdout without -o)',
    '',
    'Options: --force to replace an existing -o file, --json for {recipe|yaml, notCarried} on stdout.',
    'Model paths that name files are rewritten relative to the written file; Hugging Face ids are kept.',
    'Everything that does not map exactly is printed on stderr as "not carried: …" (see docs/recipes.md).',
  ].join('\n'),
  options: { out: { type: 'string', short: 'o' }, merged: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
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
      const recipe = rebaseRecipe(imported.recipe, from, to);
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
    if (out) await writeOut(out, text, values.force === true);
    if (values.json) console.log(JSON.stringify(json, null, 2));
    else if (!out) process.stdout.write(text);
    for (const n of notCarried) console.error(`not carried: ${n}`);
    if (out && !values.json) console.error(`wrote ${out}`);
    return 0;
  },
};
