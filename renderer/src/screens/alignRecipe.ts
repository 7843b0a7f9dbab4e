// The Align screen's choices as a recipe's `align:` key (docs/alignment.md), added to what the Scheme form builds;
// and back, when a recipe is loaded.
import type { AlignChoice } from '../state/store';

type RecipeLike = Record<string, unknown> & { models?: ({ path: string } | string)[] };

export function withAlignment<R extends RecipeLike>(recipe: R, a: AlignChoice | null): R {
  if (!a || (a.method === 'none' && a.repair === 'none' && !a.exclude.length && !Object.keys(a.rename).length)) return recipe;
  const paths = (recipe.models ?? []).map((m) => (typeof m === 'string' ? m : m.path));
  const rename = Object.entries(a.rename)
    .map(([p, map]) => ({ model: paths.indexOf(p), map }))
    .filter((r) => r.model >= 1 && Object.keys(r.map).length);
  const needsData = a.method === 'activation' || a.repair !== 'none';
  return {
    ...recipe,
    align: {
      method: a.method,
      ...(needsData && a.dataset ? { dataset: a.dataset, samples: a.samples } : {}),
      repair: a.repair,
      ...(rename.length ? { rename } : {}),
      ...(a.exclude.length ? { exclude: a.exclude } : {}),
      ...(a.arch ? { arch: a.arch } : {}),
    },
  };
}

/**
 * A loaded recipe's `align:` key as the Align screen's choice (null: the recipe aligns nothing), so a loaded
 * recipe runs as written: its alignment is kept, and an earlier Align-screen choice does not slip in. Its seed
 * and ONNX graph have no field on the Align screen and are not kept.
 */
export function alignmentFromRecipe(recipe: RecipeLike): AlignChoice | null {
  const a = recipe.align as { method?: AlignChoice['method']; dataset?: string; samples?: number; repair?: AlignChoice['repair']; rename?: { model: number; map: Record<string, string> }[]; exclude?: string[]; arch?: string } | undefined;
  if (!a?.method) return null;
  const paths = (recipe.models ?? []).map((m) => (typeof m === 'string' ? m : m.path));
  return {
    method: a.method,
    dataset: a.dataset ?? 'mnist:train',
    samples: a.samples ?? 1024,
    // the engine's default: recompute BatchNorm statistics when a sample is given
    repair: a.repair ?? (a.dataset ? 'reset' : 'none'),
    rename: Object.fromEntries((a.rename ?? []).filter((r) => paths[r.model]).map((r) => [paths[r.model], r.map])),
    exclude: a.exclude ?? [],
    ...(a.arch ? { arch: a.arch } : {}),
  };
}
