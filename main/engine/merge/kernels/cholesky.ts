// A X = B for a symmetric positive definite A (d × d) by Cholesky, in float64: RegMean's closed form.

/** The factor is not positive definite at `index`: A is singular (or nearly) there. */
export class SingularMatrixError extends Error {
  constructor(public readonly index: number, public readonly pivot: number) {
    super(`the matrix is singular (pivot ${index} is ${pivot.toExponential(2)})`);
    this.name = 'SingularMatrixError';
  }
}

/**
 * Solves A X = B in place of a copy: A is d × d row-major (only its lower triangle is read), B is d × m row-major;
 * returns X (d × m). A pivot at or below `relTol` × the largest diagonal entry throws SingularMatrixError.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, d: number, m: number, relTol = 1e-12): Float64Array {
  const L = new Float64Array(d * d);
  let maxDiag = 0;
  for (let i = 0; i < d; i++) maxDiag = Math.max(maxDiag, a[i * d + i]);
  const tol = relTol * maxDiag;
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= L[rj + k] * L[rj + k];
    if (!(s > tol)) throw new SingularMatrixError(j, s);
    const ljj = Math.sqrt(s);
    L[rj + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      const ri = i * d;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= L[ri + k] * L[rj + k];
      L[ri + j] = t / ljj;
    }
  }
  const x = Float64Array.from(b);
  // forward: L Y = B
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    for (let k = 0; k < i; k++) {
      const l = L[ri + k];
      if (l === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c] -= l * x[k * m + c];
    }
    const inv = 1 / L[ri + i];
    for (let c = 0; c < m; c++) x[i * m + c] *= inv;
  }
  // backward: Lᵀ X = Y
  for (let i = d - 1; i >= 0; i--) {
    for (let k = i + 1; k < d; k++) {
      const l = L[k * d + i];
      if (l === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c] -= l * x[k * m + c];
    }
    const inv = 1 / L[i * d + i];
    for (let c = 0; c < m; c++) x[i * m + c] *= inv;
  }
  return x;
}
