// How often two models predict the same class (the Compare screen's agreement figure).

export function agreement(predsA: ArrayLike<number>, predsB: ArrayLike<number>): number {
  if (predsA.length !== predsB.length) throw new Error(`agreement: ${predsA.length} predictions against ${predsB.length}; evaluate both on the same dataset`);
  if (predsA.length === 0) return 0;
  let same = 0;
  for (let i = 0; i < predsA.length; i++) if (predsA[i] === predsB[i]) same++;
  return same / predsA.length;
}

/** Pairwise agreement of several models: m×m, symmetric, ones on the diagonal. */
export function agreementMatrix(preds: ArrayLike<number>[]): number[][] {
  return preds.map((a, i) => preds.map((b, j) => (i === j ? 1 : agreement(a, b))));
}
