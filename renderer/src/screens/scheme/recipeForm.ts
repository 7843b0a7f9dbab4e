// The Scheme screen's form state and how it becomes a recipe (the same object the YAML file holds).

/** A method parameter's value: a number, a switch (normalize) or a named choice (rescale). */
export type ParamValue = number | boolean | string;
/** `parameters`: the model's own values of per-model parameters (density…), kept from a loaded recipe. */
export interface ModelEntry { path: string; weight: number; use: boolean; parameters?: Record<string, ParamValue> }
export type GroupAction = 'merge' | 'from' | 'exclude' | 'weights';
export interface GroupRule { match: string; action: GroupAction; from: number; weights: string[] }

export interface SchemeForm {
  source: 'models' | 'checkpoints';
  models: ModelEntry[];
  base: string;
  checkpoints: { dir: string; mode: 'last' | 'range'; last: number; from: number; to: number };
  method: string;
  params: Record<string, ParamValue>;
  groups: GroupRule[];
  /**
   * Layer rules the per-block table cannot show (parameters, per-model parameters, gradients over blocks,
   * regexes, globs other than "block.*"), e.g. from an imported mergekit config: kept as they are, ahead of
   * the table's rules.
   */
  extraLayers?: Record<string, unknown>[];
  /**
   * The data sample of a data-aware method (fisher, regmean): one dataset for every model, or one per model
   * (by path); written into the recipe only while such a method is chosen (the screen passes it then).
   */
  data?: DataSample;
  /** A loaded recipe's slices (a frankenmerge's layer stack), kept as they are: the form has no table for them. */
  slices?: Record<string, unknown>[];
  /** overwrite: the user ticked "Replace the existing file" for this path (cleared when the path changes). */
  output: { path: string; dtype: 'f32' | 'f16' | 'bf16' | 'f64'; overwrite?: boolean };
  /** A loaded recipe's model folder output (folder, shard_size, tokenizer, chat_template), kept as it is. */
  outputExtras?: Record<string, unknown>;
}

export interface DataSample { perModel: boolean; dataset: string; datasets: Record<string, string>; samples: number; arch: string }

export const DEFAULT_DATA: DataSample = { perModel: false, dataset: 'mnist:train', datasets: {}, samples: 1000, arch: '' };

/** The recipe's `data:` block for the models in use. */
export function dataBlock(d: DataSample, models: string[]): Record<string, unknown> {
  return {
    dataset: d.perModel ? models.map((p) => d.datasets[p] || d.dataset) : d.dataset,
    ...(d.samples > 0 ? { samples: d.samples } : {}),
    ...(d.arch ? { arch: d.arch } : {}),
  };
}

/** The form before anything is chosen. */
export function emptySchemeForm(): SchemeForm {
  return {
    source: 'models', models: [], base: '', method: 'mean', params: {}, groups: [],
    checkpoints: { dir: '', mode: 'last', last: 5, from: 0, to: 0 },
    output: { path: '', dtype: 'f32' },
  };
}

/** "1" → 1, "1, 0.5" → [1, 0.5] (a gradient over the group's layers); null when not numbers. */
export function parseWeightText(text: string): number | number[] | null {
  const parts = text.split(',').map((x) => x.trim()).filter(Boolean);
  if (!parts.length) return null;
  const nums = parts.map(Number);
  if (nums.some((n) => !Number.isFinite(n))) return null;
  return nums.length === 1 ? nums[0] : nums;
}

export function formToRecipe(f: SchemeForm): Record<string, unknown> {
  const used = f.models.filter((m) => m.use);
  const layers = f.groups
    .filter((g) => g.action !== 'merge')
    .map((g) => {
      if (g.action === 'from') return { match: g.match, from: g.from };
      if (g.action === 'exclude') return { match: g.match, exclude: true };
      return { match: g.match, weights: g.weights.map((w) => parseWeightText(w) ?? 1) };
    });
  const allLayers = [...(f.extraLayers ?? []), ...layers];
  return {
    method: f.method,
    ...(f.source === 'models'
      ? { models: used.map((m) => ({ path: m.path, weight: m.weight, ...(m.parameters && Object.keys(m.parameters).length ? { parameters: m.parameters } : {}) })) }
      : { checkpoints: f.checkpoints.mode === 'last' ? { dir: f.checkpoints.dir, last: f.checkpoints.last } : { dir: f.checkpoints.dir, from_epoch: f.checkpoints.from, to_epoch: f.checkpoints.to } }),
    ...(f.base ? { base: f.base } : {}),
    ...(Object.keys(f.params).length ? { parameters: f.params } : {}),
    ...(allLayers.length ? { layers: allLayers } : {}),
    ...(f.data ? { data: dataBlock(f.data, used.map((m) => m.path)) } : {}),
    ...(f.slices?.length ? { slices: f.slices } : {}),
    // An empty path: into the run's own new folder, so no earlier output is ever replaced.
    // Replacing is only ever about a path the user typed: the run's own folder holds nothing to replace.
    output: {
      ...(f.output.path.trim() ? { path: f.output.path.trim(), ...(f.output.overwrite ? { overwrite: true } : {}) } : {}),
      dtype: f.output.dtype, ...f.outputExtras,
    },
  };
}

type LayerValue = { match?: string; regex?: string; from?: number; exclude?: boolean; weights?: (number | number[])[]; parameters?: unknown; model_parameters?: unknown; over?: string };

/** A rule the per-block table shows: a "block.*" glob that copies, leaves out, or sets plain weights. */
function isTableRule(l: LayerValue): boolean {
  return !!l.match && /^[^*?]+(\.\*)?$/.test(l.match) && l.parameters === undefined && l.model_parameters === undefined && l.over === undefined;
}

/** Back from a loaded recipe into the form. */
export function recipeToForm(r: Record<string, unknown>, current: SchemeForm): SchemeForm {
  const models = (r.models as { path: string; weight?: number; parameters?: Record<string, ParamValue> }[] | undefined) ?? [];
  const ck = r.checkpoints as { dir: string; last?: number; from_epoch?: number; to_epoch?: number } | undefined;
  const all = (r.layers as LayerValue[] | undefined) ?? [];
  const layers = all.filter(isTableRule);
  const extra = all.filter((l) => !isTableRule(l));
  const { path: outPath, dtype: outDType, overwrite, ...outputExtras } = (r.output ?? {}) as { path?: string; dtype?: SchemeForm['output']['dtype']; overwrite?: boolean } & Record<string, unknown>;
  const data = r.data as { dataset: string | string[]; samples?: number; arch?: string } | undefined;
  const perModel = Array.isArray(data?.dataset);
  return {
    ...current,
    source: ck ? 'checkpoints' : 'models',
    models: ck ? current.models : models.map((m) => ({ path: m.path, weight: m.weight ?? 1, use: true, ...(m.parameters ? { parameters: m.parameters } : {}) })),
    base: (r.base as string | undefined) ?? '',
    checkpoints: ck ? { dir: ck.dir, mode: ck.last !== undefined ? 'last' : 'range', last: ck.last ?? 5, from: ck.from_epoch ?? 0, to: ck.to_epoch ?? 0 } : current.checkpoints,
    method: String(r.method),
    params: { ...((r.parameters as Record<string, ParamValue> | undefined) ?? {}) },
    extraLayers: extra as Record<string, unknown>[],
    groups: layers.map((l) => ({
      match: l.match!,
      action: l.from !== undefined ? 'from' : l.exclude ? 'exclude' : l.weights ? 'weights' : 'merge',
      from: l.from ?? 0,
      weights: (l.weights ?? []).map((w) => (Array.isArray(w) ? w.join(', ') : String(w))),
    })),
    ...(data ? {
      data: {
        perModel, dataset: perModel ? (data.dataset as string[])[0] ?? '' : (data.dataset as string),
        datasets: perModel ? Object.fromEntries(models.map((m, i) => [m.path, (data.dataset as string[])[i] ?? ''])) : {},
        samples: data.samples ?? 0, arch: data.arch ?? '',
      },
    } : {}),
    slices: r.slices as Record<string, unknown>[] | undefined,
    output: { path: outPath ?? '', dtype: outDType ?? 'f32', ...(overwrite && outPath ? { overwrite: true } : {}) },
    outputExtras,
  };
}

/** Block groups of tensor names by their first path component ("features.*"), in first-seen order. */
export function groupNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const n of names) {
    const dot = n.indexOf('.');
    seen.add(dot > 0 ? `${n.slice(0, dot)}.*` : n);
  }
  return [...seen];
}
