// The recipe a parameter search varies: the Scheme screen's own (every ticked model, the base, the method and
// its parameters, the layer rules) with the Align screen's alignment, made by the code the Scheme screen runs.
// When the Scheme screen has no models yet, the models picked on the Compare tab take their place.
import type { AlignChoice, CompareModel } from '../../state/store';
import { withAlignment } from '../alignRecipe';
import { emptySchemeForm, formToRecipe, type SchemeForm } from '../scheme/recipeForm';

export interface SearchRecipe {
  recipe: Record<string, unknown>;
  /** Where the models come from, for the screen to say. */
  from: 'scheme' | 'compare';
  /** The ticked models' paths (empty for a checkpoint window, whose count the engine finds). */
  models: string[];
  checkpoints?: string;
  base?: string;
  method: string;
}

const hasModels = (f: SchemeForm) => (f.source === 'checkpoints' ? f.checkpoints.dir.trim() !== '' : f.models.some((m) => m.use));

/**
 * `methods`: the methods the search tries. One method other than the Scheme's becomes the recipe's method (the
 * Scheme's parameters belong to its own method and stay behind); several are the search's method dimension.
 * `output`: where the best is written (not the Scheme's output file).
 */
export function searchRecipe(scheme: SchemeForm | null, compareModels: CompareModel[], alignment: AlignChoice | null, methods: string[], output: string): SearchRecipe {
  const current = scheme ?? emptySchemeForm();
  const from = hasModels(current) ? 'scheme' : 'compare';
  let form: SchemeForm = from === 'scheme' ? current : { ...current, source: 'models', models: compareModels.map((m) => ({ path: m.path, weight: 1, use: true })) };
  if (methods.length === 1 && methods[0] !== form.method) form = { ...form, method: methods[0], params: {} };
  const recipe = withAlignment(formToRecipe(form), alignment);
  return {
    recipe: { ...recipe, output: { ...(recipe.output as Record<string, unknown>), path: output } },
    from, method: form.method,
    models: form.source === 'models' ? form.models.filter((m) => m.use).map((m) => m.path) : [],
    ...(form.source === 'checkpoints' ? { checkpoints: form.checkpoints.dir } : {}),
    ...(form.base ? { base: form.base } : {}),
  };
}
