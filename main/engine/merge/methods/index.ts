// The registry of merge methods. Adding a method = adding a file beside this one + one line below.
import { addDifference } from './add_difference';
import { breadcrumbs } from './breadcrumbs';
import { breadcrumbsTies } from './breadcrumbs_ties';
import { dareLinear } from './dare_linear';
import { dareTies } from './dare_ties';
import { della } from './della';
import { dellaLinear } from './della_linear';
import { ema } from './ema';
import { mean } from './mean';
import { modelStock } from './model_stock';
import { multislerp } from './multislerp';
import { passthrough } from './passthrough';
import { slerp } from './slerp';
import { sum } from './sum';
import { taskArithmetic } from './task_arithmetic';
import { ties } from './ties';
import { describeParams, type MergeMethod, type ParamSpec } from './types';
import { weighted } from './weighted';

export const METHODS: readonly MergeMethod[] = [
  mean,
  weighted,
  sum,
  addDifference,
  taskArithmetic,
  ties,
  dareLinear,
  dareTies,
  breadcrumbs,
  breadcrumbsTies,
  della,
  dellaLinear,
  modelStock,
  slerp,
  multislerp,
  ema,
  passthrough,
];

export function findMethod(id: string): MergeMethod | undefined {
  return METHODS.find((m) => m.id === id);
}

/** The method with this id, or an error that lists the ones that exist. */
export function getMethod(id: string): MergeMethod {
  const m = findMethod(id);
  if (!m) throw new Error(`unknown merge method "${id}"; known methods: ${METHODS.map((x) => x.id).join(', ')}`);
  return m;
}

/** A method as the Scheme screen shows it: plain data, safe to send over IPC. */
export interface MethodInfo {
  id: string;
  label: string;
  formula: string;
  whenToUse: string;
  needsBase: boolean;
  acceptsBase: boolean;
  minModels: number;
  maxModels?: number;
  usesWeights: boolean;
  normalizesWeights: boolean;
  params: ParamSpec[];
}

export function describeMethods(): MethodInfo[] {
  return METHODS.map((m) => ({
    id: m.id,
    label: m.label,
    formula: m.formula,
    whenToUse: m.whenToUse,
    needsBase: m.needsBase,
    acceptsBase: m.acceptsBase ?? false,
    minModels: m.minModels,
    maxModels: m.maxModels,
    usesWeights: m.usesWeights,
    normalizesWeights: m.normalizesWeights,
    params: describeParams(m),
  }));
}

export type { MergeMethod, KernelInput, ParamSpec, LinearForm, ParamValue, Params } from './types';
export { describeParams };
