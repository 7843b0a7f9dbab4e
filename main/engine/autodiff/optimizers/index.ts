// Optimisers by name. A new one: write optimizers/<id>.ts exporting an OptimizerFactory, add it here.
import { adam, adamw } from './adam';
import { sgd } from './sgd';
import type { Optimizer, OptimizerConfig, OptimizerFactory } from './types';

const OPTIMIZERS: Record<OptimizerConfig['type'], OptimizerFactory> = { sgd, adam, adamw };

export function createOptimizer(c: OptimizerConfig): Optimizer {
  const f = OPTIMIZERS[c.type];
  if (!f) throw new Error(`unknown optimizer "${c.type}"; choose one of: ${Object.keys(OPTIMIZERS).join(', ')}`);
  return f(c);
}
export type { Optimizer, OptimizerConfig } from './types';
