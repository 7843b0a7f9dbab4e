// mergekit's config as data: the schema of its YAML, and what its parameter settings mean (a value, a
// gradient over the layer index, or a list of {filter, value} where the first match wins).
import { z } from 'zod';
import type { ParamScalar } from './recipe';

/** A value at one place: a scalar, or a gradient over the layer index. */
export type Value = ParamScalar | number[];
export interface Cond { filter?: string; value: Value }
/** mergekit's ParameterSetting: a value, a gradient, or conditions tried in order. */
export type Setting = Value | Cond[];

const MkValue = z.union([z.number(), z.boolean(), z.string(), z.array(z.number())]);
const MkCond = z.object({ filter: z.string().nullish(), value: MkValue }).strict();
const MkSetting = z.union([MkValue, z.array(MkCond), MkCond]).transform((v): Setting => {
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  const conds = Array.isArray(v) ? v as z.infer<typeof MkCond>[] : typeof v === 'object' ? [v as z.infer<typeof MkCond>] : undefined;
  return conds ? conds.map((c) => (c.filter == null ? { value: c.value } : { filter: c.filter, value: c.value })) : v as Value;
});
const MkParams = z.record(z.string(), MkSetting);
const MkModel = z.object({ model: z.string(), parameters: MkParams.nullish() }).passthrough();
const MkSource = z.object({ model: z.string(), layer_range: z.tuple([z.number().int().min(0), z.number().int().min(0)]), parameters: MkParams.nullish() }).passthrough();
const MkSlice = z.object({ sources: z.array(MkSource), base_model: z.string().optional(), parameters: MkParams.nullish() }).passthrough();
export const MkConfig = z.object({
  merge_method: z.string(),
  base_model: z.string().optional(),
  models: z.array(MkModel).optional(),
  slices: z.array(MkSlice).optional(),
  parameters: MkParams.nullish(),
  dtype: z.string().optional(),
  out_dtype: z.string().optional(),
  tokenizer_source: z.string().optional(),
  tokenizer: z.object({ source: z.string().optional(), tokens: z.record(z.string(), z.unknown()).nullish(), pad_to_multiple_of: z.number().nullish() }).passthrough().optional(),
  chat_template: z.string().optional(),
}).passthrough();
export type MkConfig = z.infer<typeof MkConfig>;
export type MkParams = z.infer<typeof MkParams>;
/** The config's top-level keys that are read here. */
export const CONFIG_KEYS = ['merge_method', 'base_model', 'models', 'slices', 'parameters', 'dtype', 'out_dtype', 'tokenizer_source', 'tokenizer', 'chat_template'];

export const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
export const isGradient = (v: Value | undefined): v is number[] => Array.isArray(v);
export const show = (v: unknown) => JSON.stringify(v);

/**
 * A setting's value for tensors whose names contain `filter` (undefined: names that contain no filter of the
 * config). mergekit tries the conditions in order: no filter (or "*") matches every name, and a filter that
 * `filter` contains matches every name containing `filter`. Undefined: no condition applies (the next level
 * — the config's top-level parameters — is asked then).
 */
export function valueAt(setting: Setting | undefined, filter: string | undefined): Value | undefined {
  if (setting === undefined) return undefined;
  if (!Array.isArray(setting) || setting.every((x) => typeof x === 'number')) return setting as Value;
  for (const c of setting as Cond[]) {
    if (c.filter === undefined || c.filter === '*' || (filter !== undefined && filter.includes(c.filter))) return c.value;
  }
  return undefined;
}

export function filtersOf(setting: Setting | undefined): string[] {
  if (!Array.isArray(setting) || setting.every((x) => typeof x === 'number')) return [];
  return (setting as Cond[]).flatMap((c) => (c.filter === undefined || c.filter === '*' ? [] : [c.filter]));
}

/** Conditions after one without a filter never apply, in mergekit as here. */
export function unreachable(setting: Setting | undefined): Cond[] {
  if (!Array.isArray(setting) || setting.every((x) => typeof x === 'number')) return [];
  const conds = setting as Cond[];
  const at = conds.findIndex((c) => c.filter === undefined || c.filter === '*');
  return at < 0 ? [] : conds.slice(at + 1);
}

/** A mergekit setting from per-rule values and the value elsewhere: a plain value when they are all the same. */
export function settingOf(entries: { filter?: string; value: Value }[], fallback: Value | undefined): Setting | undefined {
  const all = fallback === undefined ? entries : [...entries, { value: fallback }];
  if (all.length === 0) return undefined;
  if (all.every((e) => same(e.value, all[0].value)) && (fallback !== undefined || all.every((e) => e.filter === undefined))) return all[0].value;
  return all.map((e) => (e.filter === undefined ? { value: e.value } : { filter: e.filter, value: e.value }));
}

/** mergekit filters are substrings of tensor names; our globs anchor both ends. */
export function filterToGlob(filter: string): string {
  return `*${filter}*`;
}

/** A glob that is exactly "contains X" (or starts/ends with X, close enough to say so) as a mergekit filter. */
export function globToFilter(glob: string): { filter: string; exact: boolean } | undefined {
  const inner = glob.replace(/^\*/, '').replace(/\*$/, '');
  if (/[*?]/.test(inner) || inner === '') return undefined;
  return { filter: inner, exact: glob.startsWith('*') && glob.endsWith('*') };
}
