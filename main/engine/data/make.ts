// Builds a Dataset and checks that its arrays agree with its shape, so a bug in a loader fails at once.
import type { Dataset } from './types';

export function makeDataset(d: Dataset): Dataset {
  const per = d.inputShape.reduce((a, b) => a * b, 1);
  if (d.inputs.length !== d.size * per) throw new Error(`dataset ${d.id}: ${d.inputs.length} input values for ${d.size} examples of shape [${d.inputShape}]`);
  if (d.labels.length !== d.size) throw new Error(`dataset ${d.id}: ${d.labels.length} labels for ${d.size} examples`);
  if (d.classNames.length !== d.numClasses) throw new Error(`dataset ${d.id}: ${d.classNames.length} class names for ${d.numClasses} classes`);
  for (let i = 0; i < d.size; i++) {
    const y = d.labels[i];
    if (y < 0 || y >= d.numClasses) throw new Error(`dataset ${d.id}: label ${y} of example ${i} is outside [0, ${d.numClasses})`);
  }
  return d;
}

/** Product of a shape. */
export function exampleLength(d: Pick<Dataset, 'inputShape'>): number {
  return d.inputShape.reduce((a, b) => a * b, 1);
}

export function digitNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}
