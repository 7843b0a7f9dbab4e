// The Align screen's choices as a recipe's `align:` key (docs/alignment.md), added to what the Scheme form builds.
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
