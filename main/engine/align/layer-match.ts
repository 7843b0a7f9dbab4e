// Layer matching: which tensor of another model is each tensor of the reference — by name first, then, for the
// ones left, by order and shape (so block_1.0.weight lines up with features.0.weight). The user's edits (a row
// mapped by hand, or excluded) come in as `rename` and `exclude`.
import type { NamedShape } from '../models/types';

export type LayerStatus = 'matched' | 'renamed' | 'shape differs' | 'missing' | 'excluded';

export interface LayerRow {
  reference: string;
  shape: number[];
  /** The other model's tensor it lines up with (none when missing). */
  other?: string;
  otherShape?: number[];
  status: LayerStatus;
}

export interface LayerMatch {
  rows: LayerRow[];
  /** The other model's tensors no row took. */
  unmatched: string[];
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Rows for every reference tensor; `rename` (reference name → other's name) and `exclude` override the automatic choice. */
export function matchLayers(reference: NamedShape[], other: NamedShape[], o: { rename?: Record<string, string>; exclude?: string[] } = {}): LayerMatch {
  const byName = new Map(other.map((t) => [t.name, t]));
  const taken = new Set<string>();
  const rows: LayerRow[] = reference.map((t) => ({ reference: t.name, shape: t.shape, status: 'missing' as LayerStatus }));
  const exclude = new Set(o.exclude ?? []);
  // by hand first, then by name
  rows.forEach((r) => {
    const want = o.rename?.[r.reference];
    const u = want !== undefined ? byName.get(want) : byName.get(r.reference);
    if (!u || taken.has(u.name)) return;
    taken.add(u.name);
    Object.assign(r, { other: u.name, otherShape: u.shape, status: !same(u.shape, r.shape) ? 'shape differs' : u.name === r.reference ? 'matched' : 'renamed' });
  });
  // then the rest in order, each taking the next unused tensor of the same shape
  const rest = other.filter((t) => !taken.has(t.name));
  let k = 0;
  for (const r of rows) {
    if (r.other) continue;
    while (k < rest.length && !same(rest[k].shape, r.shape)) k++;
    if (k >= rest.length) break;
    taken.add(rest[k].name);
    Object.assign(r, { other: rest[k].name, otherShape: rest[k].shape, status: 'renamed' });
    k++;
  }
  for (const r of rows) if (exclude.has(r.reference)) r.status = 'excluded';
  return { rows, unmatched: other.filter((t) => !taken.has(t.name)).map((t) => t.name) };
}

/** The renames a match implies (other's name → reference name), for the rows that are usable. */
export function renamesOf(m: LayerMatch): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of m.rows) if (r.other && r.status !== 'shape differs' && r.status !== 'missing') out.set(r.other, r.reference);
  return out;
}
