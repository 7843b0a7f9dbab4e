// The doctor and verify jobs (the Scheme screen's Check panel, History's Verify button): every path they name
// passes the engine's path check before anything runs; titles for the job list.
import path from 'node:path';
import type { DoctorRequest } from '../../doctor/types';
import type { VerifyRequest } from '../../merge/verify-request';
import { checkRecipePaths } from './merge';

type Check = (p: string) => string;

export function checkDoctorPaths(r: DoctorRequest, baseDir: string, check: Check): DoctorRequest {
  const abs = (p: string) => check(path.resolve(baseDir, p));
  return {
    ...r,
    baseDir,
    ...(r.recipe ? { recipe: checkRecipePaths(r.recipe, baseDir, check) as Record<string, unknown> } : {}),
    ...(r.models ? { models: r.models.map(abs) } : {}),
    ...(r.base ? { base: abs(r.base) } : {}),
    ...(r.graph ? { graph: abs(r.graph) } : {}),
  };
}

export function checkVerifyPaths(r: VerifyRequest, check: Check): VerifyRequest {
  return { output: check(r.output), ...(r.search ? { search: r.search.map(check) } : {}) };
}

export function doctorTitle(r: DoctorRequest): string {
  const models = (r.models ?? (Array.isArray(r.recipe?.models) ? (r.recipe.models as ({ path?: string } | string)[]).map((m) => (typeof m === 'string' ? m : m.path ?? '?')) : []));
  const names = models.map((m) => path.basename(m));
  const what = names.length ? (names.length <= 3 ? names.join(', ') : `${names.length} models`) : 'the recipe';
  return `Check ${what}${r.dataset ? ` (probe on ${r.dataset})` : ''}`;
}

export function verifyTitle(r: VerifyRequest): string {
  return `Verify ${path.basename(r.output)}`;
}
