// The candidate we measured against the npm `munkres` package before choosing the engine's LAP solver: our own
// shortest-augmenting-path solver on typed arrays (Jonker & Volgenant 1987, in the form Crouse 2016 gives and
// scipy.optimize.linear_sum_assignment implements), started from Jonker–Volgenant's column reduction.
// bench/align.ts times it beside munkres and scipy; overall it was the slower of the two here (faster at n = 512 on
// some matrices, 1.3–2× slower at 2048), so the engine uses munkres (main/engine/align/lap.ts, docs/alignment.md).

export interface Assignment {
  /** col[i]: the column row i takes (a permutation of 0..n-1). */
  col: Int32Array;
  /** The sum of the chosen entries (in float64). */
  total: number;
}

/**
 * Solves the square assignment on `m` (n×n, row-major). Maximizes by default; NaN entries are refused.
 * Ties are broken like scipy's: among equal reduced costs an unassigned column is preferred.
 */
export function linearAssignment(m: ArrayLike<number>, n: number, o: { maximize?: boolean } = {}): Assignment {
  if (m.length !== n * n) throw new RangeError(`linearAssignment: expected ${n}×${n} = ${n * n} entries, got ${m.length}`);
  const maximize = o.maximize ?? true;
  // Minimise c = ±m. A copy in float64 keeps the duals exact enough for float32 inputs.
  const c = new Float64Array(n * n);
  for (let k = 0; k < n * n; k++) {
    const v = m[k];
    if (Number.isNaN(v)) throw new RangeError('linearAssignment: the matrix holds NaN');
    c[k] = maximize ? -v : v;
  }
  const u = new Float64Array(n), v = new Float64Array(n);
  const col4row = new Int32Array(n).fill(-1), row4col = new Int32Array(n).fill(-1);
  const spc = new Float64Array(n); // shortest path cost to each column
  const path = new Int32Array(n);
  const remaining = new Int32Array(n);
  const scanned = new Uint8Array(n); // columns reached (SC)
  const rowsSeen = new Int32Array(n); // rows visited on this search (SR), as a list
  // Jonker–Volgenant's column reduction: v[j] = min_i c[i][j], and each column takes its minimum's row while that
  // row is free. The duals stay feasible (u = 0) and every such pair tight, so only the rows left free need a
  // shortest augmenting path — on matching's near-permutation similarities, a few.
  for (let j = 0; j < n; j++) {
    let best = Infinity, at = -1;
    for (let i = 0; i < n; i++) { const x = c[i * n + j]; if (x < best) { best = x; at = i; } }
    v[j] = best;
    if (at >= 0 && col4row[at] === -1 && best !== Infinity) { col4row[at] = j; row4col[j] = at; }
  }
  for (let cur = 0; cur < n; cur++) {
    if (col4row[cur] !== -1) continue;
    spc.fill(Infinity);
    scanned.fill(0);
    for (let j = 0; j < n; j++) remaining[j] = n - 1 - j;
    let numRemaining = n, seen = 0;
    let minVal = 0, i = cur, sink = -1;
    while (sink === -1) {
      rowsSeen[seen++] = i;
      let lowest = Infinity, at = -1;
      const base = i * n, ui = u[i];
      for (let it = 0; it < numRemaining; it++) {
        const j = remaining[it];
        const r = minVal + c[base + j] - ui - v[j];
        if (r < spc[j]) { path[j] = i; spc[j] = r; }
        const s = spc[j];
        if (s < lowest || (s === lowest && row4col[j] === -1)) { lowest = s; at = it; }
      }
      minVal = lowest;
      if (minVal === Infinity) throw new RangeError('linearAssignment: no finite assignment exists');
      const j = remaining[at];
      if (row4col[j] === -1) sink = j; else i = row4col[j];
      scanned[j] = 1;
      remaining[at] = remaining[--numRemaining];
    }
    // Dual update over the rows and columns the search reached.
    u[cur] += minVal;
    for (let k = 1; k < seen; k++) { const r = rowsSeen[k]; u[r] += minVal - spc[col4row[r]]; }
    for (let j = 0; j < n; j++) if (scanned[j]) v[j] -= minVal - spc[j];
    // Flip the augmenting path back to the current row.
    let j = sink;
    for (;;) {
      const r = path[j];
      row4col[j] = r;
      const prev = col4row[r];
      col4row[r] = j;
      j = prev;
      if (r === cur) break;
    }
  }
  let total = 0;
  for (let r = 0; r < n; r++) total += m[r * n + col4row[r]];
  return { col: col4row, total };
}

/** Σ m[i, p[i]] in float64: the value of an assignment. */
export function assignmentValue(m: ArrayLike<number>, n: number, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += m[i * n + p[i]];
  return s;
}
