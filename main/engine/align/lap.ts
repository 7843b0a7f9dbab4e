// The linear assignment problem on a square n×n matrix held row-major in a typed array: the column each row
// takes so that the total is largest (what matching wants) or smallest. Solved by the npm `munkres` package,
// the fastest npm solver we measured (bench/align.ts: against scipy.optimize.linear_sum_assignment and our own
// shortest-augmenting-path candidate, bench/lap-jv.ts, which was slower here).
import { munkres } from 'munkres';

export interface Assignment {
  /** col[i]: the column row i takes (a permutation of 0..n-1). */
  col: Int32Array;
  /** The sum of the chosen entries (in float64). */
  total: number;
}

/** Solves the square assignment on `m` (n×n, row-major); maximizes unless told otherwise. NaN is refused. */
export function linearAssignment(m: ArrayLike<number>, n: number, o: { maximize?: boolean } = {}): Assignment {
  if (m.length !== n * n) throw new RangeError(`linearAssignment: expected ${n}×${n} = ${n * n} entries, got ${m.length}`);
  const sign = (o.maximize ?? true) ? -1 : 1;
  // munkres minimises over rows of any array-like: float64 rows of ±m.
  const rows: Float64Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const v = m[i * n + j];
      if (Number.isNaN(v)) throw new RangeError('linearAssignment: the matrix holds NaN');
      r[j] = sign * v;
    }
    rows[i] = r;
  }
  const col = new Int32Array(n);
  for (const [i, j] of munkres(rows)) col[i] = j;
  return { col, total: assignmentValue(m, n, col) };
}

/** Σ m[i, p[i]] in float64: the value of an assignment. */
export function assignmentValue(m: ArrayLike<number>, n: number, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += m[i * n + p[i]];
  return s;
}
