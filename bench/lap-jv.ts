// Jonker & Volgenant's LAPJV (Computing 38, 1987) on a float64 copy of the matrix, minimising: column reduction
// with reduction transfer, two passes of augmenting row reduction (an auction-like pass that settles most rows
// cheaply), then shortest augmenting paths over the column duals for the rows still free.
// bench/align.ts times it beside the npm `munkres` package and scipy.optimize.linear_sum_assignment: it was
// slower than munkres here (about even at n = 512, 2–4× slower at 2048; a plain shortest-augmenting-path version
// measured alike), so the engine keeps munkres (main/engine/align/lap.ts, docs/alignment.md).

export interface Assignment { col: Int32Array; total: number }

export function linearAssignment(m: ArrayLike<number>, n: number, o: { maximize?: boolean } = {}): Assignment {
  if (m.length !== n * n) throw new RangeError(`linearAssignment: expected ${n}×${n} = ${n * n} entries, got ${m.length}`);
  const sign = (o.maximize ?? true) ? -1 : 1;
  const c = new Float64Array(n * n);
  for (let k = 0; k < n * n; k++) {
    if (Number.isNaN(m[k])) throw new RangeError('linearAssignment: the matrix holds NaN');
    c[k] = sign * m[k];
  }
  const x = new Int32Array(n).fill(-1); // column of each row
  const y = new Int32Array(n).fill(-1); // row of each column
  const v = new Float64Array(n); // column duals
  const free = new Int32Array(n);
  if (n === 1) { x[0] = 0; return { col: x, total: m[0] }; }

  // Column reduction: each column's cheapest row; a row claimed first (scanning columns from the last) keeps it.
  v.fill(Infinity);
  for (let i = 0; i < n; i++) {
    const base = i * n;
    for (let j = 0; j < n; j++) { const h = c[base + j]; if (h < v[j]) { v[j] = h; y[j] = i; } }
  }
  const unique = new Uint8Array(n).fill(1);
  for (let j = n - 1; j >= 0; j--) {
    const i = y[j];
    if (x[i] < 0) x[i] = j; else { unique[i] = 0; y[j] = -1; }
  }
  // Reduction transfer: a row holding one column alone passes its slack to that column's dual.
  let nFree = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] < 0) { free[nFree++] = i; continue; }
    if (!unique[i]) continue;
    const j = x[i], base = i * n;
    let min = Infinity;
    for (let j2 = 0; j2 < n; j2++) if (j2 !== j) { const h = c[base + j2] - v[j2]; if (h < min) min = h; }
    v[j] -= min;
  }

  // Augmenting row reduction, twice: a free row takes its best column, lowering its dual by the gap to the second
  // best; the row it displaces becomes free (and, when the dual fell, is tried again at once).
  for (let pass = 0; pass < 2 && nFree > 0; pass++) {
    let current = 0, newFree = 0, count = 0;
    while (current < nFree) {
      count++;
      const i = free[current++], base = i * n;
      let j1 = 0, u1 = c[base] - v[0], j2 = -1, u2 = Infinity;
      for (let j = 1; j < n; j++) {
        const h = c[base + j] - v[j];
        if (h < u2) {
          if (h >= u1) { u2 = h; j2 = j; } else { u2 = u1; u1 = h; j2 = j1; j1 = j; }
        }
      }
      let i0 = y[j1];
      const lowered = v[j1] - (u2 - u1);
      const lowers = lowered < v[j1];
      if (count < current * n) {
        if (lowers) v[j1] = lowered;
        else if (i0 >= 0 && j2 >= 0) { j1 = j2; i0 = y[j2]; }
        if (i0 >= 0) { if (lowers) free[--current] = i0; else free[newFree++] = i0; }
      } else if (i0 >= 0) free[newFree++] = i0;
      x[i] = j1; y[j1] = i;
    }
    nFree = newFree;
  }

  // Shortest augmenting paths (Dijkstra over reduced costs c[i][j] − v[j]) for the rows still free.
  const d = new Float64Array(n), pred = new Int32Array(n), cols = new Int32Array(n);
  for (let f = 0; f < nFree; f++) {
    const start = free[f], sbase = start * n;
    for (let j = 0; j < n; j++) { cols[j] = j; d[j] = c[sbase + j] - v[j]; pred[j] = start; }
    let lo = 0, hi = 0, ready = 0, sink = -1;
    while (sink === -1) {
      if (lo === hi) {
        // the columns at the new minimum distance move to cols[lo, hi)
        ready = lo;
        hi = lo + 1;
        let mind = d[cols[lo]];
        for (let k = hi; k < n; k++) {
          const j = cols[k], dj = d[j];
          if (dj <= mind) {
            if (dj < mind) { hi = lo; mind = dj; }
            cols[k] = cols[hi]; cols[hi++] = j;
          }
        }
        if (mind === Infinity) throw new RangeError('linearAssignment: no finite assignment exists');
        for (let k = lo; k < hi; k++) if (y[cols[k]] < 0) { sink = cols[k]; break; }
      }
      if (sink !== -1) break;
      // scan the columns at the minimum: relax through the rows assigned to them
      while (lo !== hi && sink === -1) {
        const j0 = cols[lo++], i = y[j0], mind = d[j0], base = i * n;
        const h = c[base + j0] - v[j0] - mind;
        for (let k = hi; k < n; k++) {
          const j = cols[k];
          const r = c[base + j] - v[j] - h;
          if (r < d[j]) {
            d[j] = r; pred[j] = i;
            if (r === mind) {
              if (y[j] < 0) { sink = j; break; }
              cols[k] = cols[hi]; cols[hi++] = j;
            }
          }
        }
      }
    }
    // prices of the columns settled before the sink's level (those at its level change by 0)
    const mind = d[sink];
    for (let k = 0; k < ready; k++) { const j = cols[k]; v[j] += d[j] - mind; }
    // flip the path
    let j = sink;
    for (;;) {
      const i = pred[j];
      y[j] = i;
      const prev = x[i];
      x[i] = j;
      if (i === start) break;
      j = prev;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += m[i * n + x[i]];
  return { col: x, total };
}
