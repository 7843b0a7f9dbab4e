// Merge jobs and the Scheme screen's recipe calls: validate the GUI's recipe exactly as a YAML file is
// validated, check every path it names, then pre-flight or run it.
import path from 'node:path';
import { checkRecipe, type Recipe } from '../../merge/recipe';

/** The recipe with every path made absolute against baseDir and passed through `checkPath`. */
export function checkRecipePaths(value: unknown, baseDir: string, checkPath: (p: string) => string): Recipe {
  const recipe = checkRecipe(value);
  const abs = (p: string) => checkPath(path.resolve(baseDir, p));
  return {
    ...recipe,
    ...(recipe.models ? { models: recipe.models.map((m) => ({ ...m, path: abs(m.path) })) } : {}),
    ...(recipe.checkpoints ? { checkpoints: { ...recipe.checkpoints, dir: abs(recipe.checkpoints.dir) } } : {}),
    ...(recipe.base ? { base: abs(recipe.base) } : {}),
    ...(recipe.align?.graph ? { align: { ...recipe.align, graph: abs(recipe.align.graph) } } : {}),
    output: { ...recipe.output, path: abs(recipe.output.path) },
  };
}

export function mergeTitle(r: Recipe): string {
  const n = r.models?.length ?? 0;
  const what = r.checkpoints ? `checkpoints in ${path.basename(r.checkpoints.dir)}` : `${n} model${n === 1 ? '' : 's'}`;
  return `Merge ${what} with ${r.method} → ${path.basename(r.output.path)}`;
}
