// The linear assignment problem on a square n×n matrix held row-major in a typed array: the column each row
// takes so that the total is largest (what matching wants) or smallest.
//
// Our own solver, kept because it measures faster than the fastest npm one (`munkres`) and than scipy's
// linear_sum_assignment (bench/align.ts, docs/alignment.md):
// shortest augmenting paths with row and column duals, as in Crouse (2016) and scipy's linear_sum_assignment,
// run first on a sparse candidate graph — each row's k best entries — and then verified on the whole matrix.
// Matching matrices put a row's optimum among its best few entries, so the Dijkstra searches touch k entries a
// step instead of n. The verification pass is what keeps it exact: any row whose reduced cost is negative
// somewhere has its dual lowered and its candidates chosen again under the current duals, and, if its entry
// stopped being tight, is freed and searched again; after a few such rounds the rest are searched densely,
// which is always exact.
// The result is optimal to rounding (reduced costs are compared with a relative tolerance of 1e-12).
// A session (`LapSession`) solves a sequence of matrices of one size, as weight matching does for each group
// round after round: it starts each solve from the last one's column duals, candidates and assignment (rows
// whose old column is still their best reduced cost keep it), so a matrix that changed little costs little.

export interface Assignment {
  /** col[i]: the column row i takes (a permutation of 0..n-1). */
  col: Int32Array;
  /** The sum of the chosen entries (in float64). */
  total: number;
}

/**
 * Candidates kept per row. Measured (bench/align.ts and the MLP weight matching's sequence of matrices): 24 was
 * fastest overall; 16 is a little faster on one random matrix but sends warm-started solves to the dense fallback.
 */
const CANDIDATES = 24;
/** Sparse rounds before the remaining free rows are searched over every column. */
const SPARSE_ROUNDS = 8;
const TOLERANCE = 1e-12;

export interface LapOptions {
  /** Largest total (default) or smallest. */
  maximize?: boolean;
  /** Candidate entries per row for the sparse searches (default 24); any value gives the same optimum. */
  candidates?: number;
}

/** Solves the square assignment on `m` (n×n, row-major); maximizes unless told otherwise. NaN and ±∞ are refused. */
export function linearAssignment(m: ArrayLike<number>, n: number, o: LapOptions = {}): Assignment {
  return new LapSession(n, o).solve(m);
}

/** Σ m[i, p[i]] in float64: the value of an assignment. */
export function assignmentValue(m: ArrayLike<number>, n: number, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += m[i * n + p[i]];
  return s;
}

/**
 * Solves n×n assignments one after another, each warm-started from the previous one (same answer as a fresh
 * solve, to rounding). Minimises Σ sign·m[i, col[i]]; reads `m` in place (a copy of a large matrix costs more
 * than the search).
 */
export class LapSession {
  private readonly k: number;
  private readonly sign: 1 | -1;
  private m: ArrayLike<number> = [];
  private solved = false;
  private readonly col4row: Int32Array;
  private readonly row4col: Int32Array;
  private readonly u: Float64Array;
  private readonly v: Float64Array;
  /** Tentative path lengths to each column in the current search (∞ when untouched). */
  private readonly dist: Float64Array;
  private readonly path: Int32Array;
  private readonly scanned: Uint8Array;
  private readonly scannedCols: Int32Array;
  private readonly scannedDist: Float64Array;
  private readonly visitedRows: Int32Array;
  private readonly touched: Int32Array;
  /** Rows whose dual rose since they were last verified (only they can hold a negative reduced cost). */
  private readonly dirty: Uint8Array;
  /** Row i's candidate columns at [i·k, (i + 1)·k). */
  private readonly candidates: Int32Array;
  private readonly scratchKeys: Float64Array;
  private readonly scratchCols: Int32Array;
  private readonly heap: MinHeap;

  constructor(private readonly n: number, o: LapOptions = {}) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`linearAssignment: n must be a whole number ≥ 0, got ${n}`);
    const candidates = o.candidates ?? CANDIDATES;
    if (!Number.isInteger(candidates) || candidates < 1) throw new RangeError(`linearAssignment: candidates must be a whole number ≥ 1, got ${candidates}`);
    this.sign = (o.maximize ?? true) ? -1 : 1;
    this.k = Math.min(n, candidates);
    this.col4row = new Int32Array(n).fill(-1);
    this.row4col = new Int32Array(n).fill(-1);
    this.u = new Float64Array(n);
    this.v = new Float64Array(n);
    this.dist = new Float64Array(n).fill(Infinity);
    this.path = new Int32Array(n);
    this.scanned = new Uint8Array(n);
    this.scannedCols = new Int32Array(n);
    this.scannedDist = new Float64Array(n);
    this.visitedRows = new Int32Array(n);
    this.touched = new Int32Array(n);
    this.dirty = new Uint8Array(n).fill(1);
    this.candidates = new Int32Array(n * this.k);
    this.scratchKeys = new Float64Array(this.k);
    this.scratchCols = new Int32Array(this.k);
    this.heap = new MinHeap(4 * n);
  }

  /** The optimal assignment of `m` (n×n, row-major). */
  solve(m: ArrayLike<number>): Assignment {
    const n = this.n;
    if (m.length !== n * n) throw new RangeError(`linearAssignment: expected ${n}×${n} = ${n * n} entries, got ${m.length}`);
    this.m = m;
    let free: number[];
    if (this.solved) free = this.warmStart();
    else {
      this.col4row.fill(-1); this.row4col.fill(-1); this.u.fill(0); this.v.fill(0); this.dirty.fill(1);
      for (let i = 0; i < n; i++) this.reselect(i);
      free = Array.from({ length: n }, (_, i) => i);
    }
    this.solved = false; // until this solve completes
    for (let round = 0; free.length > 0; round++) {
      if (round > SPARSE_ROUNDS + 4) throw new Error('linearAssignment: the verification did not settle (rounding?)');
      // A dense round is exact on its own; the sparse ones leave stuck rows free for the next verification.
      if (round < SPARSE_ROUNDS && this.k < n) for (const r of free) this.sparseSearch(r);
      else for (const r of free) this.denseSearch(r);
      free = this.verify();
    }
    this.solved = true;
    const col = this.col4row.slice();
    return { col, total: assignmentValue(m, n, col) };
  }

  /**
   * Keeps the column duals, candidates and assignment of the last solve: each row's dual becomes its least
   * reduced cost on the new matrix (so every reduced cost is ≥ 0), and a row keeps its old column only where that
   * column attains it. Returns the rows left free; refuses NaN and ±∞ as a fresh solve does.
   */
  private warmStart(): number[] {
    const { m, n, sign, u, v, col4row, row4col } = this;
    const free: number[] = [];
    row4col.fill(-1);
    for (let i = 0; i < n; i++) {
      const b = i * n;
      const low = this.leastReducedCost(i);
      u[i] = low;
      this.dirty[i] = 0;
      const j = col4row[i], c = sign * m[b + j];
      if (c - low - v[j] <= TOLERANCE * (Math.abs(c) + 1)) { row4col[j] = i; continue; }
      col4row[i] = -1;
      this.reselect(i);
      free.push(i);
    }
    return free;
  }

  /** Shortest augmenting path from free row `cur` over the candidate entries; false when none reaches a free column. */
  private sparseSearch(cur: number): boolean {
    const { m, n, k, sign, u, v, dist, path, scanned, row4col, candidates, heap } = this;
    let minVal = 0, i = cur, nScanned = 0, nRows = 0, nTouched = 0, sink = -1;
    heap.clear();
    for (;;) {
      this.visitedRows[nRows++] = i;
      const base = minVal - u[i], b = i * n, off = i * k;
      for (let t = 0; t < k; t++) {
        const j = candidates[off + t];
        if (scanned[j]) continue;
        const r = base + sign * m[b + j] - v[j];
        if (r < dist[j]) {
          if (dist[j] === Infinity) this.touched[nTouched++] = j;
          dist[j] = r; path[j] = i; heap.push(r, j);
        }
      }
      let j = -1;
      while (heap.size > 0) {
        const key = heap.topKey(), c = heap.topValue();
        heap.pop();
        if (!scanned[c] && key === dist[c]) { j = c; break; }
      }
      if (j < 0) break;
      minVal = dist[j];
      scanned[j] = 1; this.scannedCols[nScanned] = j; this.scannedDist[nScanned++] = minVal;
      if (row4col[j] === -1) { sink = j; break; }
      i = row4col[j];
    }
    for (let t = 0; t < nTouched; t++) dist[this.touched[t]] = Infinity;
    for (let t = 0; t < nScanned; t++) scanned[this.scannedCols[t]] = 0;
    if (sink < 0) { this.dirty[cur] = 1; return false; } // verify() lists it among the free rows again
    this.augment(cur, sink, minVal, nScanned, nRows);
    return true;
  }

  /** The same search over every column (scipy's loop); exact whenever every reduced cost is ≥ 0. */
  private denseSearch(cur: number): void {
    const { m, n, sign, u, v, dist, path, row4col } = this;
    let minVal = 0, i = cur, nScanned = 0, nRows = 0, sink = -1;
    dist.fill(Infinity);
    while (sink === -1) {
      this.visitedRows[nRows++] = i;
      let best = -1, lowest = Infinity;
      const b = i * n, base = minVal - u[i];
      for (let j = 0; j < n; j++) {
        const r = base + sign * m[b + j] - v[j];
        let s = dist[j];
        if (r < s) { path[j] = i; dist[j] = r; s = r; }
        // (a scanned column holds NaN, which no comparison picks)
        if (s < lowest || (s === lowest && row4col[j] === -1)) { lowest = s; best = j; }
      }
      if (lowest === Infinity) throw new RangeError('linearAssignment: no finite assignment exists');
      minVal = lowest;
      this.scannedCols[nScanned] = best; this.scannedDist[nScanned++] = lowest; dist[best] = NaN;
      if (row4col[best] === -1) sink = best; else i = row4col[best];
    }
    dist.fill(Infinity);
    this.augment(cur, sink, minVal, nScanned, nRows);
  }

  /** Updates the duals of the rows and columns the search settled, then flips the path to `sink`. */
  private augment(cur: number, sink: number, minVal: number, nScanned: number, nRows: number): void {
    const { u, v, col4row, row4col, path } = this;
    u[cur] += minVal; this.dirty[cur] = 1;
    // visitedRows[t] was reached through scannedCols[t − 1]
    for (let t = 1; t < nRows; t++) { const r = this.visitedRows[t]; u[r] += minVal - this.scannedDist[t - 1]; this.dirty[r] = 1; }
    for (let t = 0; t < nScanned; t++) v[this.scannedCols[t]] -= minVal - this.scannedDist[t];
    for (let j = sink; ;) {
      const r = path[j];
      row4col[j] = r;
      const prev = col4row[r];
      col4row[r] = j;
      if (r === cur) break;
      j = prev;
    }
  }

  /** min_j sign·m[i, j] − v[j]; refuses NaN and ±∞ (a warm start reads each row here first). */
  private leastReducedCost(i: number): number {
    const { m, n, sign, v } = this;
    const b = i * n;
    let low = Infinity;
    for (let j = 0; j < n; j++) {
      const c = sign * m[b + j];
      if (c - c !== 0) throw nonFinite(c, i, j);
      const r = c - v[j];
      if (r < low) low = r;
    }
    return low;
  }

  /** Row i's candidates become its k least reduced costs under today's column duals. */
  private reselect(i: number): void {
    selectBest(this.m, i, this.n, this.k, this.sign, this.v, this.candidates, this.scratchKeys, this.scratchCols);
  }

  /** Makes every reduced cost ≥ 0 (to the tolerance) over the whole matrix; returns the rows left free. */
  private verify(): number[] {
    const { m, n, sign, u, v, col4row, row4col } = this;
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!this.dirty[i]) continue;
      this.dirty[i] = 0;
      const b = i * n;
      const low = this.leastReducedCost(i);
      const violated = low < u[i] - TOLERANCE * (Math.abs(u[i]) + 1);
      if (!violated && col4row[i] >= 0) continue;
      this.reselect(i);
      if (low < u[i]) u[i] = low;
      const j = col4row[i];
      if (j >= 0) {
        const c = sign * m[b + j];
        if (c - u[i] - v[j] > TOLERANCE * (Math.abs(c) + 1)) { col4row[i] = -1; row4col[j] = -1; }
      }
      if (col4row[i] < 0) free.push(i);
    }
    return free;
  }
}

/** NaN or ±∞ at row i, column j: refused, named. */
function nonFinite(c: number, i: number, j: number): RangeError {
  return new RangeError(`linearAssignment: the matrix holds ${Number.isNaN(c) ? 'NaN' : 'an infinite entry'} (row ${i}, column ${j})`);
}

/** Writes row i's k columns with the smallest sign·m[i, j] − v[j] to out[i·k …]; hk, hj are scratch of length k. */
function selectBest(m: ArrayLike<number>, i: number, n: number, k: number, sign: number, v: Float64Array, out: Int32Array, hk: Float64Array, hj: Int32Array): void {
  const b = i * n;
  // a max-heap of the k best so far: one comparison rejects most entries
  let size = 0;
  for (let j = 0; j < n; j++) {
    const c = sign * m[b + j];
    if (c - c !== 0) throw nonFinite(c, i, j);
    const x = c - v[j];
    if (size < k) {
      let p = size++;
      while (p > 0) { const q = (p - 1) >> 1; if (hk[q] >= x) break; hk[p] = hk[q]; hj[p] = hj[q]; p = q; }
      hk[p] = x; hj[p] = j;
    } else if (x < hk[0]) {
      let p = 0;
      for (;;) {
        let q = 2 * p + 1;
        if (q >= k) break;
        if (q + 1 < k && hk[q + 1] > hk[q]) q++;
        if (hk[q] <= x) break;
        hk[p] = hk[q]; hj[p] = hj[q]; p = q;
      }
      hk[p] = x; hj[p] = j;
    }
  }
  out.set(hj, i * k);
}

/** A binary min-heap of (key, column) on typed arrays; stale entries are skipped by the caller. */
class MinHeap {
  private keys: Float64Array;
  private values: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.keys = new Float64Array(Math.max(16, capacity));
    this.values = new Int32Array(Math.max(16, capacity));
  }

  clear(): void { this.size = 0; }
  topKey(): number { return this.keys[0]; }
  topValue(): number { return this.values[0]; }

  push(key: number, value: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(2 * this.size); keys.set(this.keys); this.keys = keys;
      const values = new Int32Array(2 * this.size); values.set(this.values); this.values = values;
    }
    const { keys, values } = this;
    let p = this.size++;
    while (p > 0) { const q = (p - 1) >> 1; if (keys[q] <= key) break; keys[p] = keys[q]; values[p] = values[q]; p = q; }
    keys[p] = key; values[p] = value;
  }

  pop(): void {
    const { keys, values } = this;
    const n = --this.size;
    const key = keys[n], value = values[n];
    let p = 0;
    for (;;) {
      let q = 2 * p + 1;
      if (q >= n) break;
      if (q + 1 < n && keys[q + 1] < keys[q]) q++;
      if (keys[q] >= key) break;
      keys[p] = keys[q]; values[p] = values[q]; p = q;
    }
    keys[p] = key; values[p] = value;
  }
}
