// Who is whose parent among the compared models: a merge's parents are the selected models it was made
// from (matched by path). They give the agreement columns and the ensemble baseline's members.
import path from 'node:path';
import type { ResolvedModel } from './models';

export const samePath = (a?: string, b?: string) => !!a && !!b && path.resolve(a) === path.resolve(b);

export interface Family {
  /** The indices of the merges among the models. */
  merges: number[];
  /** Model i's parents among the models (merges only; empty for a plain model). */
  parentsOf: (i: number) => number[];
  /** Rows the agreement columns compare against: the merges' parents, or every model when none is here. */
  parents: number[];
  /** The first merge with two or more parents here (the checkpoints chart's merge). */
  firstMerge?: number;
  /** The ensemble baseline: firstMerge's parents, else every model when there is no merge at all. */
  members: number[];
}

export function familyOf(models: ResolvedModel[]): Family {
  const parentsOf = (i: number) => (models[i].merge?.parents ?? []).flatMap((p) => {
    const j = models.findIndex((m, jj) => jj !== i && samePath(m.ref.path, p.path));
    return j >= 0 && p.role === 'model' ? [j] : [];
  });
  const every = () => models.map((_, i) => i);
  const merges = every().filter((i) => models[i].merge);
  const parentSet = [...new Set(merges.flatMap(parentsOf))].sort((a, b) => a - b);
  const firstMerge = merges.find((i) => parentsOf(i).length >= 2);
  const members = firstMerge !== undefined ? parentsOf(firstMerge) : merges.length === 0 ? every() : [];
  return { merges, parentsOf, parents: parentSet.length ? parentSet : every(), firstMerge, members };
}
