// The tries of a parameter search, chosen before any is run (pure: no files, no methods; the caller says which
// dimension changes which method's merge).
// - grid: the budget is split evenly over the methods, then over each method's combinations of listed values
//   (a method that has nothing numeric to vary needs one try per combination; the rest goes to the others).
//   Within a share of n tries every numeric range takes n distinct, evenly spaced values: one range is a line
//   of n points; two or more are paired as a shifted Korobov lattice, each range still taking each of its n
//   values once, the lattice chosen that keeps the points furthest apart. A product grid of n^(1/d) values per
//   range would try far fewer distinct values of each (Bergstra & Bengio 2012, "Random search for
//   hyper-parameter optimization": a few parameters matter, so distinct values per parameter count).
// - random: `budget` seeded draws, numbers uniform in [min, max], listed values uniform.
import { Rng } from '../data/rng';

export type SearchValues = Record<string, number | string>;
export interface GridDimension { name: string; min?: number; max?: number; values?: (number | string)[] }
/** Whether setting `dimension` changes a merge by `method` (undefined: the recipe's method, not varied). */
export type Applies = (method: string | undefined, dimension: string) => boolean;

const round = (x: number) => Math.round(x * 1e4) / 1e4;
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/**
 * `total` split over cells that can take at most `caps[i]` each, as evenly as the caps allow; what a full cell
 * cannot take goes to the others. When fewer than one each is left, the cells that get one are spread evenly.
 */
export function splitBudget(total: number, caps: number[]): number[] {
  const out = caps.map(() => 0);
  let left = total;
  for (;;) {
    const open = caps.map((_, i) => i).filter((i) => out[i] < caps[i]);
    if (!left || !open.length) return out;
    if (left < open.length) {
      for (let k = 0; k < left; k++) out[open[left === 1 ? 0 : Math.round((k * (open.length - 1)) / (left - 1))]] += 1;
      return out;
    }
    const each = Math.floor(left / open.length);
    for (const i of open) { const g = Math.min(each, caps[i] - out[i]); out[i] += g; left -= g; }
  }
}

/** Level of point i along dimension j of a shifted Korobov lattice with generator g and shift c. */
function levels(n: number, d: number, g: number, c: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const row = [i];
    let gj = 1;
    for (let j = 1; j < d; j++) { gj = (gj * g) % n; row.push((i * gj + c) % n); }
    return row;
  });
}

function minDistance(points: number[][]): number {
  let best = Infinity;
  for (let a = 0; a < points.length; a++) {
    for (let b = a + 1; b < points.length; b++) {
      let s = 0;
      for (let j = 0; j < points[a].length; j++) s += (points[a][j] - points[b][j]) ** 2;
      if (s < best) best = s;
    }
  }
  return best;
}

/** Up to `k` of `items`, evenly spaced (all of them when there are fewer). */
const spread = <T>(items: T[], k: number): T[] => (items.length <= k ? items : Array.from({ length: k }, (_, i) => items[Math.round((i * (items.length - 1)) / (k - 1))]));

/** n points over d dimensions, each taking every level 0…n−1 once, as far apart as the candidates allow. */
export function latticeLevels(n: number, d: number): number[][] {
  if (d <= 1 || n <= 2) return levels(n, d, 1, 0);
  const gens = spread(Array.from({ length: n - 1 }, (_, i) => i + 1).filter((g) => gcd(g, n) === 1), 40);
  const shifts = spread(Array.from({ length: n }, (_, c) => c), 8);
  let best = levels(n, d, 1, 0);
  let bestDistance = minDistance(best);
  for (const g of gens) {
    for (const c of shifts) {
      const p = levels(n, d, g, c);
      const m = minDistance(p);
      if (m > bestDistance) { best = p; bestDistance = m; }
    }
  }
  return best;
}

/** n tries over numeric ranges: n evenly spaced values of each (the middle when n is 1). */
export function rangePoints(ranges: GridDimension[], n: number): SearchValues[] {
  if (n < 1) return [];
  if (!ranges.length) return [{}];
  const at = (d: GridDimension, level: number) => (n === 1 ? round((d.min! + d.max!) / 2) : round(d.min! + ((d.max! - d.min!) * level) / (n - 1)));
  return latticeLevels(n, ranges.length).map((row) => Object.fromEntries(ranges.map((d, j) => [d.name, at(d, row[j])])));
}

/** Every combination of the listed values, first dimension outermost. */
function combinations(dims: GridDimension[]): SearchValues[] {
  let out: SearchValues[] = [{}];
  for (const d of dims) out = out.flatMap((o) => d.values!.map((v) => ({ ...o, [d.name]: v })));
  return out;
}

/** A numeric range with min = max is one listed value. */
const asListed = (d: GridDimension): GridDimension => (d.values || d.min !== d.max ? d : { name: d.name, values: [d.min!] });

/** The grid's tries: methods outermost, then combinations of listed values, then the lattice over ranges. */
export function gridPoints(dims: GridDimension[], budget: number, applies: Applies): SearchValues[] {
  const methodDim = dims.find((d) => d.name === 'method');
  const methods: (string | undefined)[] = methodDim ? methodDim.values!.map(String) : [undefined];
  const plans = methods.map((method) => {
    const own = dims.filter((d) => d.name !== 'method' && applies(method, d.name)).map(asListed);
    const ranges = own.filter((d) => !d.values);
    const cells = combinations(own.filter((d) => d.values)).map((c) => (method === undefined ? c : { method, ...c }));
    return { ranges, cells, cap: ranges.length ? Infinity : cells.length };
  });
  const perMethod = splitBudget(budget, plans.map((p) => p.cap));
  return plans.flatMap((p, m) => {
    const perCell = splitBudget(perMethod[m], p.cells.map(() => (p.ranges.length ? Infinity : 1)));
    return p.cells.flatMap((cell, i) => rangePoints(p.ranges, perCell[i]).map((r) => ({ ...cell, ...r })));
  });
}

/** `budget` seeded draws; a value the drawn method would ignore is left out, so labels say what ran. */
export function randomPoints(dims: GridDimension[], budget: number, seed: number, applies: Applies): SearchValues[] {
  const rng = new Rng(seed);
  return Array.from({ length: budget }, () => {
    const drawn: SearchValues = Object.fromEntries(dims.map((d) => [d.name, d.values ? d.values[rng.int(d.values.length)] : round(d.min! + rng.float() * (d.max! - d.min!))]));
    const method = drawn.method === undefined ? undefined : String(drawn.method);
    return Object.fromEntries(Object.entries(drawn).filter(([k]) => k === 'method' || applies(method, k)));
  });
}
