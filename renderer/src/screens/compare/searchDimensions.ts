// What the search screen offers to vary for the methods it tries (α between two models, each method's numeric
// parameters with their ranges), which it ticks first, and the dimensions it sends (engine/compare/types.ts).
import type { MethodInfo } from '../../../../main/engine/api';
import type { SearchDimension } from '../../../../main/engine/compare/types';

export interface VaryOption { name: string; label: string; min: number; max: number; step: number }
export interface VaryChoice { on: boolean; min: number; max: number }

const fileName = (p: string) => p.split(/[\\/]/).pop() ?? p;

/**
 * α with exactly two models and a method with weights or a t; each model's weight with more models; then
 * every numeric, non-integer parameter. `models`: the recipe's model paths (empty for a checkpoint window).
 */
export function varyOptions(methods: MethodInfo[], models: string[]): VaryOption[] {
  const weighted = methods.some((m) => m.usesWeights);
  const alpha = models.length === 2 && (weighted || methods.some((m) => m.params.some((p) => p.name === 't')));
  const out: VaryOption[] = alpha ? [{ name: 'alpha', label: 'α (weights 1 − α and α; SLERP\'s t)', min: 0, max: 1, step: 0.05 }] : [];
  if (weighted && models.length > 2) models.forEach((m, i) => out.push({ name: `weights.${i}`, label: `weight of ${fileName(m)}`, min: 0, max: 1, step: 0.05 }));
  for (const m of methods) {
    for (const p of m.params) {
      // SLERP's t is what α sets; integer parameters (seeds) are not a quality knob.
      if (p.kind !== 'number' || p.integer || (alpha && p.name === 't')) continue;
      const name = `parameters.${p.name}`;
      // λ's slider reaches below 0 (a negative λ subtracts the task, as mergekit allows); a search starts
      // at 0, adding the task, and the user may lower the range.
      const min = p.name === 'lambda' ? Math.max(0, p.min) : p.min;
      if (!out.some((o) => o.name === name)) out.push({ name, label: p.name === 'lambda' ? 'λ (lambda)' : p.name, min, max: p.max, step: p.step });
    }
  }
  return out;
}

/** Ticked at first: α when offered, else λ, else the first parameter. */
export function defaultVary(options: VaryOption[]): string | undefined {
  return (options.find((o) => o.name === 'alpha') ?? options.find((o) => o.name === 'parameters.lambda') ?? options[0])?.name;
}

/** The request's dimensions: the methods when several, then each ticked option's range. */
export function searchDimensions(methods: string[], options: VaryOption[], chosen: Record<string, VaryChoice>): SearchDimension[] {
  const ranges = options.filter((o) => chosen[o.name]?.on).map((o) => ({ name: o.name, min: chosen[o.name].min, max: chosen[o.name].max }));
  return [...(methods.length > 1 ? [{ name: 'method', values: methods }] : []), ...ranges];
}
