// The loss-plane job (compare/plane.ts): every model path passes the engine's path check (browser mode's allowed
// folders) before anything runs (its dataset is judged with every job's, jobs/kinds/datasets.ts); its title.
import path from 'node:path';
import type { ModelRef } from '../../compare/models';
import type { PlaneRequest } from '../../compare/plane';

type Check = (p: string) => string;

const ref = (m: ModelRef, check: Check): ModelRef => ({ ...m, path: check(m.path), ...(m.graph ? { graph: check(m.graph) } : {}) });

export function checkPlanePaths(r: PlaneRequest, check: Check): PlaneRequest {
  return { ...r, models: r.models.map((m) => ref(m, check)), ...(r.marks ? { marks: r.marks.map((m) => ref(m, check)) } : {}) };
}

export function planeTitle(r: PlaneRequest): string {
  const n = r.models.map((m) => m.label ?? path.basename(m.path));
  return `Loss plane through ${n.join(', ')} on ${r.dataset}`;
}
