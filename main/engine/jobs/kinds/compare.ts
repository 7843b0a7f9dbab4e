// Comparison, soup, search and demo jobs: every path they name passes the engine's path check (browser mode's
// allowed folders) before anything runs; titles for the job list.
import path from 'node:path';
import type { ModelRef } from '../../compare/models';
import type { CompareRequest, SearchRequest, SoupRequest } from '../../compare/types';
import { checkRecipePaths } from './merge';

type Check = (p: string) => string;

const refs = (models: ModelRef[], check: Check) => models.map((m) => ({ ...m, path: check(m.path), ...(m.graph ? { graph: check(m.graph) } : {}) }));
const names = (models: ModelRef[]) => models.map((m) => m.label ?? path.basename(m.path));

export function checkComparePaths(r: CompareRequest, check: Check): CompareRequest {
  return { ...r, models: refs(r.models, check) };
}

export function checkSoupPaths(r: SoupRequest, check: Check): SoupRequest {
  return { ...r, models: refs(r.models, check), ...(r.output ? { output: check(r.output) } : {}) };
}

export function checkSearchPaths(r: SearchRequest, baseDir: string, check: Check): SearchRequest {
  return { ...r, baseDir, recipe: checkRecipePaths(r.recipe, baseDir, check) as Record<string, unknown> };
}

export function compareTitle(r: CompareRequest): string {
  const n = names(r.models);
  return `Compare ${n.length <= 3 ? n.join(', ') : `${n.length} models`} on ${r.dataset}`;
}

export function soupTitle(r: SoupRequest): string {
  return `${r.kind === 'greedy' ? 'Greedy' : 'Uniform'} soup of ${r.models.length} models (chosen on ${r.heldout})`;
}

export function searchTitle(r: SearchRequest): string {
  return `Search ${r.dimensions.map((d) => d.name).join(' × ')} (${r.budget} tries, on ${r.heldout})`;
}
