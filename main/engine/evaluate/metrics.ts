// Scores from model outputs: accuracy, mean cross-entropy, per-class accuracy, confusion matrix.
// Everything goes through log-probabilities so that single models (logits) and ensembles (log of
// averaged softmaxes) share one scorer. Sums run in float64.

export interface ClassScore {
  /** Class index. */
  class: number;
  /** Class name from the dataset ("7", "cat"). */
  name: string;
  accuracy: number;
  n: number;
}

export interface EvalResult {
  accuracy: number;
  /** Mean cross-entropy (natural log) of the true class. */
  loss: number;
  n: number;
  /** Classes that occur in the data (n > 0), by index. */
  per_class: ClassScore[];
  /** confusion[true][predicted] counts; K×K with K = max(dataset classes, model outputs). */
  confusion: number[][];
}

/** Row-wise log-softmax of [n, k] logits (stable: subtracts each row's max). */
export function logSoftmax(logits: Float32Array, k: number): Float32Array {
  const n = logits.length / k;
  const out = new Float32Array(logits.length);
  for (let r = 0; r < n; r++) {
    const o = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (logits[o + j] > max) max = logits[o + j];
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[o + j] - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < k; j++) out[o + j] = logits[o + j] - lse;
  }
  return out;
}

/** Index of each row's largest value (first on ties). */
export function argmaxRows(values: Float32Array, k: number): Int32Array {
  const n = values.length / k;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values[r * k + j] > values[r * k + best]) best = j;
    out[r] = best;
  }
  return out;
}

export function scoreLogProbs(logProbs: Float32Array, k: number, labels: Int32Array, classNames: string[]): EvalResult {
  const n = labels.length;
  if (logProbs.length !== n * k) throw new Error(`scoreLogProbs: ${logProbs.length} values for ${n} examples × ${k} classes`);
  const size = Math.max(k, classNames.length);
  const confusion = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  const preds = argmaxRows(logProbs, k);
  let nll = 0, correct = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y >= k) throw new Error(`the data has label ${y} but the model has only ${k} outputs; evaluate it on data with classes 0..${k - 1} (e.g. ?task=subset:0-${k - 1}:remap)`);
    nll -= logProbs[i * k + y];
    if (preds[i] === y) correct++;
    confusion[y][preds[i]]++;
  }
  const per_class: ClassScore[] = [];
  for (let c = 0; c < size; c++) {
    const row = confusion[c];
    const count = row.reduce((a, b) => a + b, 0);
    if (count > 0) per_class.push({ class: c, name: classNames[c] ?? String(c), accuracy: row[c] / count, n: count });
  }
  return { accuracy: n ? correct / n : 0, loss: n ? nll / n : 0, n, per_class, confusion };
}

export function scoreLogits(logits: Float32Array, k: number, labels: Int32Array, classNames: string[]): EvalResult {
  return scoreLogProbs(logSoftmax(logits, k), k, labels, classNames);
}
