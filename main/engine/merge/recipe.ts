// Recipes: the YAML file the Scheme screen writes and `merge-studio merge` runs. Parsed with `yaml` (to keep
// line numbers) and validated with zod; every error names the key and the line it is on.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Document, isMap, isPair, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { modelFileOf } from '../formats/model-folder';
import { getMethod, METHODS, type MergeMethod } from './methods';
import { ALIGN_METHODS, REPAIR_METHODS } from '../align/methods';

const OUTPUT_DTYPES = ['f32', 'f16', 'bf16', 'f64'] as const;
export type OutputDType = (typeof OUTPUT_DTYPES)[number];

/** A parameter's value in a recipe: a number, a switch (`normalize: false`) or a named choice (`rescale: l1`). */
const ParamScalar = z.union([z.number(), z.boolean(), z.string()]);

const ModelRef = z.preprocess(
  (v) => (typeof v === 'string' ? { path: v } : v),
  z.object({
    path: z.string().min(1),
    weight: z.number().optional(),
    /** This model's own values of the method's per-model parameters (density, gamma, epsilon). */
    parameters: z.record(z.string(), ParamScalar).optional(),
  }).strict(),
);

const Checkpoints = z.object({
  dir: z.string().min(1),
  from_epoch: z.number().int().min(0).optional(),
  to_epoch: z.number().int().min(0).optional(),
  last: z.number().int().min(1).optional(),
}).strict().refine((c) => !(c.last !== undefined && (c.from_epoch !== undefined || c.to_epoch !== undefined)), {
  message: 'use either last or from_epoch/to_epoch, not both',
  path: ['last'],
});

/** A parameter value in a layer rule: one value, or a gradient [a, b, …] of numbers interpolated over the layers. */
const LayerValue = z.union([z.number(), z.array(z.number()).min(1), z.boolean(), z.string()]);

/** What a rule's gradients run over: its matched layers in file order, or the block index N of `….N.…` names. */
export const GRADIENT_OVER = ['layers', 'blocks'] as const;

const LayerRule = z.object({
  match: z.string().min(1).optional(),
  regex: z.string().min(1).optional(),
  from: z.number().int().min(0).optional(),
  exclude: z.boolean().optional(),
  weights: z.array(z.union([z.number(), z.array(z.number()).min(1)])).optional(),
  parameters: z.record(z.string(), LayerValue).optional(),
  /** Per model (recipe order): that model's own per-model parameters for the matched tensors. */
  model_parameters: z.array(z.record(z.string(), LayerValue)).optional(),
  over: z.enum(GRADIENT_OVER).optional(),
}).strict().superRefine((r, ctx) => {
  if ((r.match === undefined) === (r.regex === undefined)) ctx.addIssue({ code: 'custom', message: 'a layer rule needs exactly one of match (glob) or regex' });
  const merges = r.parameters !== undefined || r.weights !== undefined || r.model_parameters !== undefined;
  const actions = [r.from !== undefined, r.exclude === true, merges].filter(Boolean).length;
  if (actions > 1) ctx.addIssue({ code: 'custom', message: 'a layer rule does one thing: from, exclude, or parameters/weights/model_parameters' });
  if (r.regex !== undefined) {
    try { new RegExp(r.regex); } catch (e) { ctx.addIssue({ code: 'custom', path: ['regex'], message: `not a valid regular expression: ${(e as Error).message}` }); }
  }
});

/**
 * One source of a slice: model `model` (an index into `models`, or `base`), its layers [start, end) of the
 * numbered stack (`model.layers.N`), and its own weight and per-model parameters there (values or gradients
 * over the slice's layers).
 */
const SliceSource = z.object({
  model: z.union([z.number().int().min(0), z.literal('base')]),
  layers: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  weight: z.union([z.number(), z.array(z.number()).min(1)]).optional(),
  parameters: z.record(z.string(), LayerValue).optional(),
}).strict().refine((s) => s.layers[1] >= s.layers[0], { message: 'layers [start, end): end must not be below start', path: ['layers'] });

/**
 * A slice of the output's layer stack (mergekit's `slices:`): its layers are its sources' layers merged by the
 * recipe's method, one output layer per source layer. Its parameters and rules apply to its tensors before the
 * recipe's; their gradients (and `over: blocks` rules') run over the slice's own layers, as in mergekit.
 */
const Slice = z.object({
  sources: z.array(SliceSource).min(1),
  parameters: z.record(z.string(), LayerValue).optional(),
  layers: z.array(LayerRule).optional(),
}).strict().superRefine((s, ctx) => {
  const lengths = s.sources.map((x) => x.layers[1] - x.layers[0]);
  if (lengths.some((n) => n !== lengths[0])) ctx.addIssue({ code: 'custom', path: ['sources'], message: `every source of a slice takes as many layers (as mergekit requires); these take ${lengths.join(', ')}` });
});

/** Where a model folder's tokenizer comes from (mergekit's tokenizer_source): the base's, the union of all, a model's, a folder's. */
const TokenizerSource = z.union([z.enum(['base', 'union']), z.number().int().min(0), z.object({ path: z.string().min(1) }).strict()]);

const Output = z.object({
  /** Where the merged model goes; left out, into the run's own folder (merged.safetensors, or .onnx for ONNX models). */
  path: z.string().min(1).optional(),
  dtype: z.enum(OUTPUT_DTYPES).optional(),
  /** Replace the file (or folder) at `path` when it exists (without it, an existing one is never replaced). */
  overwrite: z.boolean().optional(),
  /**
   * Write a Hugging Face model folder at `path`, as mergekit does: the weights (sharded above shard_size),
   * config.json, the tokenizer files, a README.md model card with the recipe.
   */
  folder: z.boolean().optional(),
  /** A folder's largest weights shard, in bytes ("5B", "500M"; mergekit's --out-shard-size, default 5B). */
  shard_size: z.union([z.number().int().positive(), z.string().regex(/^\d+[kKmMbB]?$/, 'a number of bytes, like 5000000000, 500M or 5B')]).optional(),
  /** A folder's tokenizer (mergekit's tokenizer_source); absent: copied from the base (else the first model), as mergekit does. */
  tokenizer: TokenizerSource.optional(),
  /** A folder's chat template (mergekit's chat_template): a Jinja template, or `auto` (the one most models have). */
  chat_template: z.string().min(1).optional(),
}).strict().superRefine((o, ctx) => {
  if (o.folder) return;
  for (const k of ['shard_size', 'tokenizer', 'chat_template'] as const) if (o[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `${k} is for a model folder output (folder: true)` });
});
export type OutputSpec = z.infer<typeof Output>;

/** Alignment before the merge (docs/alignment.md): the other models are permuted onto the first. */
const Align = z.object({
  method: z.enum(ALIGN_METHODS),
  /** Data sample for activation matching and BatchNorm repair (a dataset spec). */
  dataset: z.string().min(1).optional(),
  samples: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  /** After merging: update_bn's reset, REPAIR's rescaling, or none (default: reset when there is BatchNorm and a dataset). */
  repair: z.enum(REPAIR_METHODS).optional(),
  /** For bare weights: a built-in architecture or an ONNX graph. */
  arch: z.string().min(1).optional(),
  graph: z.string().min(1).optional(),
  /** Layer matching edits: model index (≥ 1) and, per reference tensor, that model's tensor. */
  rename: z.array(z.object({ model: z.number().int().min(1), map: z.record(z.string(), z.string()) }).strict()).optional(),
  /** Tensors kept from the first model instead of merged. */
  exclude: z.array(z.string().min(1)).optional(),
}).strict().superRefine((a, ctx) => {
  if (a.method === 'activation' && !a.dataset) ctx.addIssue({ code: 'custom', path: ['dataset'], message: 'activation matching needs a dataset (a data sample, e.g. mnist:train)' });
  if (a.repair && a.repair !== 'none' && !a.dataset) ctx.addIssue({ code: 'custom', path: ['dataset'], message: `repair: ${a.repair} needs a dataset (e.g. mnist:train)` });
  if (a.arch && a.graph) ctx.addIssue({ code: 'custom', path: ['graph'], message: 'give either arch or graph, not both' });
});
export type AlignSpec = z.infer<typeof Align>;

/** The data sample a data-aware method (fisher, regmean) measures each model on (docs/recipes.md, "Data-aware methods"). */
const Data = z.object({
  /** One dataset spec for every model, or one per model in recipe order (each model's own task). */
  dataset: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** Examples per model: the first N of its dataset (default 1,000). */
  samples: z.number().int().positive().optional(),
  /** For bare weights: a built-in architecture or an ONNX graph. */
  arch: z.string().min(1).optional(),
  graph: z.string().min(1).optional(),
}).strict().superRefine((d, ctx) => {
  if (d.arch && d.graph) ctx.addIssue({ code: 'custom', path: ['graph'], message: 'give either arch or graph, not both' });
});
export type DataSpec = z.infer<typeof Data>;

/** The recipe's shape (method-specific parameters are checked by parseRecipe/checkRecipe on top). */
export const RecipeSchema = z.object({
  name: z.string().optional(),
  method: z.string().min(1),
  models: z.array(ModelRef).optional(),
  checkpoints: Checkpoints.optional(),
  base: z.string().min(1).optional(),
  parameters: z.record(z.string(), ParamScalar).optional(),
  layers: z.array(LayerRule).optional(),
  /** The output's layer stack, slice by slice (mergekit's frankenmerges); without it, every layer of the models. */
  slices: z.array(Slice).min(1).optional(),
  align: Align.optional(),
  data: Data.optional(),
  output: Output.optional(),
}).strict().superRefine((r, ctx) => {
  if (r.data && Array.isArray(r.data.dataset)) {
    const n = r.models?.length;
    if (r.checkpoints) ctx.addIssue({ code: 'custom', path: ['data', 'dataset'], message: 'checkpoints take one dataset for all (a spec, not a list)' });
    else if (n !== undefined && r.data.dataset.length !== n) ctx.addIssue({ code: 'custom', path: ['data', 'dataset'], message: `lists ${r.data.dataset.length} datasets for ${n} models (give one spec for all, or one per model in recipe order)` });
  }
  if (r.slices) {
    if (!r.models) ctx.addIssue({ code: 'custom', path: ['slices'], message: 'slices take their layers from models: list the models (checkpoints cannot be sliced)' });
    if (r.align) ctx.addIssue({ code: 'custom', path: ['align'], message: 'alignment and slices do not go together: align the models first, then slice the aligned files' });
    if (r.data) ctx.addIssue({ code: 'custom', path: ['data'], message: 'data-aware merging (fisher, regmean) and slices do not go together: merge the models first, then slice the merged file' });
    r.slices.forEach((s, si) => s.sources.forEach((src, i) => {
      if (src.model === 'base' ? !r.base : src.model >= (r.models?.length ?? 0)) {
        ctx.addIssue({ code: 'custom', path: ['slices', si, 'sources', i, 'model'], message: src.model === 'base' ? 'names the base, but the recipe has no base' : `names model ${src.model}, but the recipe lists ${r.models?.length ?? 0} (numbered from 0)` });
      }
    }));
  }
  if (r.align && r.checkpoints) ctx.addIssue({ code: 'custom', path: ['align'], message: 'checkpoints of one run share a basin: align models (a list of files), not checkpoints' });
  if (!r.models && !r.checkpoints) ctx.addIssue({ code: 'custom', message: 'the recipe needs models (a list of files) or checkpoints (a folder)' });
  if (r.models && r.checkpoints) ctx.addIssue({ code: 'custom', path: ['checkpoints'], message: 'use either models or checkpoints, not both' });
});

export type ParamScalar = z.infer<typeof ParamScalar>;
export type ModelRef = { path: string; weight?: number; parameters?: Record<string, ParamScalar> };
export type LayerRule = z.infer<typeof LayerRule>;
export type SliceSpec = z.infer<typeof Slice>;
export type SliceSourceSpec = z.infer<typeof SliceSource>;
export type CheckpointsSpec = z.infer<typeof Checkpoints>;
export type Recipe = z.infer<typeof RecipeSchema>;

/** A recipe with paths made absolute and checkpoints expanded into models, ready to plan and run. */
export interface ResolvedRecipe {
  recipe: Recipe;
  /** Folder relative paths were resolved against. */
  baseDir: string;
  method: string;
  /** `path` is the file opened: a model folder's weights file, its folder in `folder`. */
  models: { path: string; weight: number; parameters?: Record<string, ParamScalar>; folder?: string }[];
  base?: string;
  /** The base's model folder, when it was given as one. */
  baseFolder?: string;
  parameters: Record<string, ParamScalar>;
  layers: LayerRule[];
  /** The data sample of a data-aware method, its graph path made absolute. */
  data?: DataSpec;
  /** The recipe's slices as written (their model indexes refer to `models`). */
  slices?: SliceSpec[];
  output: ResolvedOutput;
}

/** A recipe's output, resolved: an absolute path (in the run's folder when the recipe names none). */
export interface ResolvedOutput extends Omit<OutputSpec, 'path' | 'overwrite'> {
  /** Absolute; in the run's folder when the recipe names none (NEW_RUN_FOLDER stands for it before it exists). */
  path: string;
  /** Replace a file that exists at `path`. */
  overwrite: boolean;
  /** The recipe named no path: the output goes into the run's own new folder. */
  inRunFolder: boolean;
}

/** Stands for the folder of a run not made yet, in a pre-flight's output path. */
export const NEW_RUN_FOLDER = '(the run\'s folder)';

/** The output's name in the run's folder: a model folder `merged`; an ONNX first model gives an ONNX output (its graph is kept). */
export function defaultOutputName(firstModel: string | undefined, folder = false): string {
  if (folder) return 'merged';
  return firstModel && /\.onnx$/i.test(firstModel) ? 'merged.onnx' : 'merged.safetensors';
}

export interface RecipeIssue {
  /** Dotted key path ("models[0].wieght"). */
  key: string;
  line?: number;
  message: string;
}

export class RecipeError extends Error {
  constructor(public readonly source: string, public readonly issues: RecipeIssue[]) {
    super(issues.map((i) => `${source}${i.line ? ` line ${i.line}` : ''}: ${i.key ? `${i.key}: ` : ''}${i.message}`).join('\n'));
    this.name = 'RecipeError';
  }
}

function keyPath(p: readonly PropertyKey[]): string {
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s;
}

/** Line of the node at `p` (or of the key `key` inside it), by walking up until a node exists. */
function lineOf(doc: Document, lc: LineCounter, p: readonly PropertyKey[], key?: string): number | undefined {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
    const target = n === 0 ? doc.contents : node;
    if (!target) continue;
    if (key !== undefined && n === p.length && isMap(target)) {
      const pair = target.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === key);
      const r = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (r) return lc.linePos(r[0]).line;
    }
    // A scalar key's own line is a better pointer than its value's for type errors on maps.
    const range = (target as { range?: [number, number, number] }).range;
    if (range) return lc.linePos(range[0]).line;
  }
  return undefined;
}

function zodIssues(doc: Document, lc: LineCounter, issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): RecipeIssue[] {
  const out: RecipeIssue[] = [];
  for (const iss of issues) {
    const p = [...prefix, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      for (const k of iss.keys) {
        out.push({ key: keyPath([...p, k]), line: lineOf(doc, lc, p, k), message: `unknown key "${k}"` });
      }
      continue;
    }
    let message = iss.message;
    if (iss.code === 'invalid_type') {
      const actual = doc.getIn(p as unknown[]);
      message = actual === undefined ? `missing (expected ${iss.expected})` : `expected ${iss.expected}, got ${JSON.stringify(actual)}`;
    }
    out.push({ key: keyPath(p), line: lineOf(doc, lc, p), message });
  }
  return out;
}

/** Checks the method's name and its parameters (top level and in layer rules) against its schema. */
function methodIssues(doc: Document, lc: LineCounter, r: Recipe): RecipeIssue[] {
  const method = METHODS.find((m) => m.id === r.method);
  if (!method) {
    return [{ key: 'method', line: lineOf(doc, lc, ['method']), message: `unknown method "${r.method}"; known methods: ${METHODS.map((m) => m.id).join(', ')}` }];
  }
  const issues: RecipeIssue[] = [];
  if (method.data && !r.data) {
    issues.push({ key: 'data', line: lineOf(doc, lc, ['method']), message: `${method.label} measures each model on a data sample: add a data block (e.g. data: {dataset: mnist:train, samples: 1000}, or one dataset per model)` });
  }
  if (!method.data && r.data) issues.push({ key: 'data', line: lineOf(doc, lc, ['data']), message: `${method.label} does not use data; remove the data block (fisher and regmean use it)` });
  const once = method.statisticsParams ?? [];
  const onceOnly = (values: Record<string, unknown> | undefined, at: PropertyKey[]) => {
    for (const k of Object.keys(values ?? {})) {
      if (once.includes(k)) issues.push({ key: keyPath([...at, k]), line: lineOf(doc, lc, at, k), message: `${k} chooses what is measured for the whole model: set it in the top-level parameters only` });
    }
  };
  // (per model they are refused already: no data-aware method has per-model parameters)
  (r.layers ?? []).forEach((rule, li) => onceOnly(rule.parameters, ['layers', li, 'parameters']));
  const topParams = r.parameters ?? {};
  const top = method.params.safeParse(topParams);
  if (!top.success) issues.push(...zodIssues(doc, lc, top.error.issues, ['parameters']));
  /** One value of `k` (a gradient's entries one by one) against the schema, with the recipe's other parameters. */
  const checkValue = (k: string, v: unknown, at: PropertyKey[]) => {
    for (const x of Array.isArray(v) ? v : [v]) {
      const res = method.params.safeParse({ ...topParams, [k]: x });
      if (!res.success) {
        // A cross-parameter refusal (DELLA's density ± epsilon) counts for the value that made it.
        const mine = res.error.issues.filter((i) => i.path[0] === k || i.code === 'unrecognized_keys' || (top.success && i.code === 'custom'));
        issues.push(...zodIssues(doc, lc, mine.map((i) => (i.code === 'custom' ? { ...i, path: [k] } : i)), at));
        return;
      }
    }
  };
  const perModel = method.perModel ?? [];
  const checkPerModel = (values: Record<string, unknown>, at: PropertyKey[]) => {
    for (const [k, v] of Object.entries(values)) {
      if (!perModel.includes(k)) {
        const known = perModel.length ? `its per-model parameters are ${perModel.join(', ')}` : 'it has no per-model parameters';
        issues.push({ key: keyPath([...at, k]), line: lineOf(doc, lc, at, k), message: `${method.id} does not take ${k} per model; ${known}` });
      } else checkValue(k, v, at);
    }
  };
  /** `n`: the models a rule's lists run over (the recipe's, or a slice's merged sources); undefined: checked by the plan. */
  const checkRules = (rules: LayerRule[], at: PropertyKey[], n: number | undefined, what: string) => rules.forEach((rule, li) => {
    for (const [k, v] of Object.entries(rule.parameters ?? {})) {
      // `weight` is the layer's merge strength, handled by the plan (0 = first model, 1 = full merge).
      if (k !== 'weight') checkValue(k, v, [...at, li, 'parameters']);
    }
    if (rule.model_parameters && n !== undefined && rule.model_parameters.length !== n) {
      issues.push({ key: keyPath([...at, li, 'model_parameters']), line: lineOf(doc, lc, [...at, li, 'model_parameters']), message: `gives ${rule.model_parameters.length} entries for ${n} ${what} (one per model, in ${what === 'models' ? 'recipe' : 'slice'} order; {} for none)` });
    }
    (rule.model_parameters ?? []).forEach((values, mi) => checkPerModel(values, [...at, li, 'model_parameters', mi]));
  });
  (r.models ?? []).forEach((m, mi) => { if (m.parameters) checkPerModel(m.parameters, ['models', mi, 'parameters']); });
  checkRules(r.layers ?? [], ['layers'], r.slices ? undefined : r.models?.length, 'models');
  (r.slices ?? []).forEach((s, si) => {
    for (const [k, v] of Object.entries(s.parameters ?? {})) checkValue(k, v, ['slices', si, 'parameters']);
    s.sources.forEach((src, i) => { if (src.parameters) checkPerModel(src.parameters, ['slices', si, 'sources', i, 'parameters']); });
    checkRules(s.layers ?? [], ['slices', si, 'layers'], mergedSources(s, method).length, 'sources');
  });
  return issues;
}

/** A slice's sources the method merges: all of them, but the base apart for a method that takes one. */
export function mergedSources(slice: SliceSpec, method: Pick<MergeMethod, 'needsBase' | 'acceptsBase'>): SliceSourceSpec[] {
  return method.needsBase || method.acceptsBase ? slice.sources.filter((s) => s.model !== 'base') : slice.sources;
}

/** Parses recipe YAML. Throws RecipeError listing every problem with its key and line. */
export function parseRecipe(text: string, source = 'recipe'): Recipe {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    throw new RecipeError(source, doc.errors.map((e) => ({ key: '', line: lc.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split('\n')[0]}` })));
  }
  return validate(doc, lc, source);
}

/**
 * Checks a recipe given as a plain object (from the GUI, over IPC) exactly as parseRecipe checks YAML;
 * the errors name the key (there are no lines).
 */
export function checkRecipe(value: unknown, source = 'recipe'): Recipe {
  return validate(new Document(value), new LineCounter(), source);
}

function validate(doc: Document, lc: LineCounter, source: string): Recipe {
  const parsed = RecipeSchema.safeParse(doc.toJS());
  if (!parsed.success) throw new RecipeError(source, zodIssues(doc, lc, parsed.error.issues));
  const issues = methodIssues(doc, lc, parsed.data);
  if (issues.length) throw new RecipeError(source, issues);
  return parsed.data;
}

/**
 * Reads and parses a recipe file; relative paths in it resolve against its folder. `echo: 'recipes'`
 * (a request from the UI, which may not be the user): a file that is not recipe-shaped YAML — a mapping
 * with a `method` key — gets an error that quotes nothing of it, so no line of an arbitrary text file (a
 * key file, a config) is ever echoed back; only a real recipe's errors name its keys and values.
 */
export async function loadRecipe(file: string, options: { echo?: 'all' | 'recipes' } = {}): Promise<{ recipe: Recipe; baseDir: string }> {
  const text = await readFile(file, 'utf8');
  if (options.echo === 'recipes') {
    const shape = recipeShape(text);
    if (shape !== 'recipe') {
      throw new RecipeError(file, [{
        key: '', line: typeof shape === 'number' ? shape : undefined,
        message: `${typeof shape === 'number' ? 'YAML syntax error, so it' : 'it'} is not a merge recipe (a YAML mapping with method, models or checkpoints, and output); nothing of the file is shown`,
      }]);
    }
  }
  return { recipe: parseRecipe(text, file), baseDir: path.dirname(path.resolve(file)) };
}

/** 'recipe' for a YAML mapping with a `method` key, the line of the first YAML syntax error, or 'other'. */
function recipeShape(text: string): 'recipe' | 'other' | number {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) return lc.linePos(doc.errors[0].pos[0]).line;
  return isMap(doc.contents) && doc.contents.items.some((it) => isScalar(it.key) && it.key.value === 'method') ? 'recipe' : 'other';
}

/** The YAML the GUI shows and saves for a recipe (round-trips through parseRecipe). */
export function recipeToYaml(recipe: Recipe): string {
  const order = ['name', 'method', 'models', 'checkpoints', 'base', 'align', 'data', 'parameters', 'layers', 'slices', 'output'] as const;
  const plain: Record<string, unknown> = {};
  for (const k of order) if (recipe[k] !== undefined) plain[k] = recipe[k];
  return flowNumberLists(plain, { flowCollectionPadding: false, lineWidth: 0 });
}

/** YAML with lists of numbers (gradients) on one line, `[0, 0.5, 1]`, and small maps like `{}` as they are. */
export function flowNumberLists(value: unknown, options: { flowCollectionPadding?: boolean; lineWidth?: number } = {}): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (node.items.length && node.items.every((it) => isScalar(it) && typeof it.value === 'number')) node.flow = true;
    },
  });
  return doc.toString(options);
}

const MODEL_EXTENSIONS = ['.safetensors', '.pt', '.pth', '.bin', '.ckpt', '.onnx'];

/** Epoch number in a checkpoint's file name: epoch-003.safetensors, epoch_3.pt, ckpt-12.pth, model.7.pt. */
export function epochOf(fileName: string): number | undefined {
  const stem = fileName.replace(/\.[^.]+$/, '');
  const named = /(?:epoch|ep|ckpt|checkpoint|step)[-_.]?(\d+)/i.exec(stem);
  if (named) return Number(named[1]);
  const trailing = /(\d+)$/.exec(stem);
  return trailing ? Number(trailing[1]) : undefined;
}

/** Model files of a checkpoint folder in epoch order, filtered by the spec. */
export async function expandCheckpoints(spec: CheckpointsSpec, baseDir: string): Promise<string[]> {
  const dir = path.resolve(baseDir, spec.dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new RecipeError('recipe', [{ key: 'checkpoints.dir', message: `cannot list ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  const byEpoch = new Map<number, string>();
  for (const name of names) {
    if (!MODEL_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) continue;
    const epoch = epochOf(name);
    if (epoch === undefined) continue;
    const prev = byEpoch.get(epoch);
    if (prev) {
      throw new RecipeError('recipe', [{ key: 'checkpoints.dir', message: `${dir} has two checkpoints for epoch ${epoch} (${prev} and ${name}); keep one per epoch` }]);
    }
    byEpoch.set(epoch, name);
  }
  let epochs = [...byEpoch.keys()].sort((a, b) => a - b);
  if (spec.last !== undefined) epochs = epochs.slice(-spec.last);
  else epochs = epochs.filter((e) => (spec.from_epoch === undefined || e >= spec.from_epoch) && (spec.to_epoch === undefined || e <= spec.to_epoch));
  if (epochs.length === 0) {
    throw new RecipeError('recipe', [{ key: 'checkpoints', message: `no checkpoint files (like epoch-003.safetensors or epoch_3.pt) in ${dir} match the requested epochs` }]);
  }
  return epochs.map((e) => path.join(dir, byEpoch.get(e)!));
}

/**
 * A model path made absolute (against baseDir), a model folder (or HF cache folder) made its weights file; a
 * path that names nothing here and reads as a Hugging Face id ("org/name") is looked up in the HF cache.
 */
export async function resolveModelPath(p: string, baseDir: string): Promise<{ file: string; folder?: string }> {
  const abs = path.resolve(baseDir, p);
  // A folder that holds no model stays a path: opening it says what is wrong, among the pre-flight's problems.
  return modelFileOf(abs, { hfId: p }).catch(() => ({ file: abs }));
}

/**
 * Makes paths absolute (against baseDir), model folders their weights files, and expands checkpoints. A recipe
 * without an output path writes into `runDir`, the run's folder (NEW_RUN_FOLDER when it is not made yet: a
 * pre-flight).
 */
export async function resolveRecipe(recipe: Recipe, baseDir: string, options: { runDir?: string } = {}): Promise<ResolvedRecipe> {
  getMethod(recipe.method);
  const models = recipe.checkpoints
    ? (await expandCheckpoints(recipe.checkpoints, baseDir)).map((p) => ({ path: p, weight: 1 }))
    : await Promise.all((recipe.models ?? []).map(async (m) => {
      const { file, folder } = await resolveModelPath(m.path, baseDir);
      return { path: file, weight: m.weight ?? 1, ...(m.parameters ? { parameters: m.parameters } : {}), ...(folder ? { folder } : {}) };
    }));
  const base = recipe.base ? await resolveModelPath(recipe.base, baseDir) : undefined;
  return {
    recipe,
    baseDir,
    method: recipe.method,
    models,
    base: base?.file,
    ...(base?.folder ? { baseFolder: base.folder } : {}),
    parameters: recipe.parameters ?? {},
    // align.exclude: those tensors are copied from the first model (rules first, so they win)
    layers: [...(recipe.align?.exclude ?? []).map((n) => ({ match: n, from: 0 })), ...(recipe.layers ?? [])],
    ...(recipe.data ? { data: { ...recipe.data, ...(recipe.data.graph ? { graph: path.resolve(baseDir, recipe.data.graph) } : {}) } } : {}),
    ...(recipe.slices ? { slices: recipe.slices } : {}),
    output: {
      ...recipe.output,
      path: recipe.output?.path ? path.resolve(baseDir, recipe.output.path) : path.join(options.runDir ?? NEW_RUN_FOLDER, defaultOutputName(models[0]?.path, recipe.output?.folder)),
      overwrite: recipe.output?.overwrite === true,
      inRunFolder: !recipe.output?.path,
      ...(typeof recipe.output?.tokenizer === 'object' ? { tokenizer: { path: path.resolve(baseDir, recipe.output.tokenizer.path) } } : {}),
    },
  };
}
