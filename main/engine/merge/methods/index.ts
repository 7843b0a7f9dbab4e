// The registry of merge methods. Adding a method = adding a file beside this one + one line below.
import { addDifference } from './add_difference';
import { arceeFusion } from './arcee_fusion';
import { breadcrumbs } from './breadcrumbs';
import { breadcrumbsTies } from './breadcrumbs_ties';
import { dareLinear } from './dare_linear';
import { dareTies } from './dare_ties';
import { della } from './della';
import { dellaLinear } from './della_linear';
import { ema } from './ema';
import { fisher } from './fisher';
import { karcher } from './karcher';
import { linear } from './linear';
import { mean } from './mean';
import { modelStock } from './model_stock';
import { multislerp } from './multislerp';
import { nearswap } from './nearswap';
import { nuslerp } from './nuslerp';
import { passthrough } from './passthrough';
import { ram } from './ram';
import { ramplusTl } from './ramplus_tl';
import { regmean } from './regmean';
import { sce } from './sce';
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
  linear,
  addDifference,
  taskArithmetic,
  ties,
  dareLinear,
  dareTies,
  breadcrumbs,
  breadcrumbsTies,
  della,
  dellaLinear,
  sce,
  ram,
  ramplusTl,
  modelStock,
  slerp,
  nuslerp,
  multislerp,
  karcher,
  nearswap,
  arceeFusion,
  ema,
  fisher,
  regmean,
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
  /** Data-aware: the recipe needs a `data:` block (a sample each model is measured on). */
  needsData: boolean;
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
    needsData: m.data !== undefined,
    params: describeParams(m),
  }));
}

export type { MergeMethod, KernelInput, ParamSpec, LinearForm, ParamValue, Params, TensorStatistics } from './types';
export { describeParams };
