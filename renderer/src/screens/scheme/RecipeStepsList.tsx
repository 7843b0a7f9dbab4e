// "What this merge will do": the recipe's steps in words (scheme/recipeSteps.ts), each removable one with a
// Remove button that takes it out of the form or the Align screen's choice — and so out of the recipe.
import type { MethodInfo } from '../../../../main/engine/api';
import type { AlignChoice } from '../../state/store';
import { describeRecipe, withoutStep, type StepRemoval } from './recipeSteps';
import type { SchemeForm } from './recipeForm';

const card = 'rounded-lg border border-slate-200 bg-white p-4';

export function RecipeStepsList({ recipe, methods, form, onForm, alignment, onAlignment }: {
  recipe: Record<string, unknown>; methods: MethodInfo[];
  form: SchemeForm; onForm: (f: SchemeForm) => void;
  alignment: AlignChoice | null; onAlignment: (a: AlignChoice | null) => void;
}) {
  const steps = describeRecipe(recipe, methods);
  const remove = (r: StepRemoval) => {
    const next = withoutStep(r, form, alignment);
    if (next.form !== form) onForm(next.form);
    if (next.alignment !== alignment) onAlignment(next.alignment);
  };
  return (
    <section className={card} aria-label="What this merge will do" data-testid="recipe-steps">
      <h2 className="mb-1 font-medium">What this merge will do</h2>
      <p className="mb-2 text-xs text-slate-500">Every step of the recipe, in the order it runs. Nothing else goes into the merge; Remove takes a step out (a setting goes back to its default).</p>
      <ol className="list-decimal space-y-1 pl-5 text-sm">
        {steps.map((s, i) => (
          <li key={i} data-testid="recipe-step" data-keys={s.keys.join(' ')} className={s.unknown ? 'text-amber-800' : undefined}>
            <span>{s.text}</span>
            {s.remove && (
              <button type="button" className="ml-2 rounded border border-slate-300 px-2 text-xs hover:bg-slate-100" aria-label={`Remove: ${s.text}`} onClick={() => remove(s.remove!)}>Remove</button>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
