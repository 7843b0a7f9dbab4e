// Pre-flight: everything the Run button needs to know before anything heavy happens — which tensors match,
// which are missing or differ in shape, tied groups, output size, peak memory and time, and what blocks.
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { hfHubCache, isHfRepoId, sourceName } from '../formats/model-folder';
import type { ModelSource } from '../formats/types';
import { DTYPE_SIZE, numElements } from '../tensor/dtypes';
import { registryIO, type MergeIO } from '../formats/model-io';
import { renamedSource } from '../align/align';
import { getMethod, type MergeMethod } from './methods';
import { estimateMergeMemory } from './memory-estimate';
import { buildPlan, type MergePlan, type PlannedTensor, type PlanSources } from './plan';
import { buildSlicePlan } from './slice-plan';
import { folderHoldsInput, outputWriter, planOutputFolder } from './output-folder';
import { recipeToYaml, resolveRecipe, type Recipe, type ResolvedRecipe } from './recipe';
import { existingOutputs, OutputExistsError, RECIPE_OVERWRITE_HINT } from '../workspace/output-guard';

export interface PreflightModel {
  path: string;
  name: string;
  format: string;
  tensors: number;
  /** Bytes of tensor data. */
  bytes: number;
  /** What the reader did while opening that the user should know. */
  notes: string[];
}

export interface PreflightReport {
  method: string;
  models: PreflightModel[];
  base?: PreflightModel;
  /** `inRunFolder`: the recipe names no path, so the output goes into the run's new folder (its path is NEW_RUN_FOLDER/…). */
  output: { path: string; bytes: number; inRunFolder: boolean };
  counts: { merged: number; copied: number; excluded: number; tiedAliases: number };
  tied: string[][];
  /** Peak memory (resident set) of the process during the merge: memory-estimate.ts. */
  peakMemoryBytes: number;
  /** Rough: I/O at typical disk speed plus the method's per-element cost. */
  estimatedSeconds: number;
  warnings: string[];
  /** Empty = the merge can run. */
  blocking: string[];
  /** Every output tensor and what happens to it (for the per-layer table); plain data, safe to send over IPC. */
  tensors: PlannedTensor[];
  excluded: string[];
}

const READ_BYTES_PER_S = 1e9;
const WRITE_BYTES_PER_S = 5e8;
const HASH_BYTES_PER_S = 1.5e9;

/** Nanoseconds per element per model, by the kind of work a method does. */
function nsPerElement(m: MergeMethod): number {
  if (m.id === 'della' || m.id === 'breadcrumbs' || m.id === 'ties' || m.id === 'sce' || m.id === 'arcee_fusion') return 60; // ranking or sorting
  if (m.id === 'karcher') return 40; // up to max_iter passes over every model
  if (m.needsBase || m.id === 'multislerp' || m.id === 'nuslerp') return 8;
  return 1.5;
}

function fileName(p: string): string {
  return path.basename(p);
}

function describe(source: ModelSource): PreflightModel {
  return {
    path: source.path,
    name: sourceName(source),
    format: source.format,
    tensors: source.tensors.length,
    bytes: source.tensors.reduce((a, t) => a + t.byteLength, 0),
    notes: source.notes,
  };
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => { try { return realpathSync(p); } catch { return path.resolve(p); } };
  return path.resolve(a) === path.resolve(b) || real(a) === real(b);
}

/** Checks that need only the recipe and the method, not the files' contents. */
export function recipeProblems(recipe: ResolvedRecipe, method: MergeMethod = getMethod(recipe.method)): string[] {
  const blocking: string[] = [];
  // With slices, each slice's sources are the models of its merges: the plan counts them there.
  const n = recipe.slices ? method.minModels : recipe.models.length;
  if (n < method.minModels) {
    blocking.push(`${method.label} needs at least ${method.minModels} model${method.minModels === 1 ? '' : 's'}; the recipe has ${n}${n === 1 ? ' — add another model or use it directly' : ''}`);
  }
  if (!recipe.slices && method.maxModels !== undefined && n > method.maxModels) {
    blocking.push(`${method.label} takes at most ${method.maxModels} models; the recipe has ${n}${method.id === 'slerp' ? ' — use multislerp for more than two' : ''}`);
  }
  if (method.needsBase && !recipe.base) {
    blocking.push(`${method.label} works on task vectors (θᵢ − θ_b) and needs a base model: choose one in the Base model field (in a recipe file, the key base)`);
  }
  // linear divides only with normalize (its default); the others always do.
  if (!recipe.slices && method.normalizesWeights && recipe.parameters?.normalize !== false && n > 0 && recipe.models.reduce((a, m) => a + m.weight, 0) === 0) {
    blocking.push(`the model weights sum to 0 (${recipe.models.map((m) => m.weight).join(' + ')}), and ${method.label} divides by their sum; change a weight`);
  }
  // Into the run's own new folder: nothing there to collide with, and the folder is made with the run.
  if (recipe.output.inRunFolder) return blocking;
  const inputs = [...recipe.models.map((m) => m.path), ...(recipe.base ? [recipe.base] : [])];
  const isInput = inputs.some((input) => samePath(input, recipe.output.path));
  if (isInput) blocking.push(`the output path ${recipe.output.path} is one of the inputs; inputs are never overwritten — choose another output name`);
  else if (!recipe.output.overwrite && existingOutputs([recipe.output.path]).length) blocking.push(new OutputExistsError([recipe.output.path], RECIPE_OVERWRITE_HINT).message);
  const held = folderHoldsInput(recipe);
  if (held) blocking.push(`the output folder ${recipe.output.path} holds the input ${held}; inputs are never overwritten — choose another output folder`);
  const outDir = path.dirname(recipe.output.path);
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) blocking.push(`the output folder ${outDir} does not exist; create it or choose another output path`);
  return blocking;
}

/** The pre-flight report for models that are already open. */
export function preflight(recipe: ResolvedRecipe, sources: PlanSources, io?: Pick<MergeIO, 'writerFor'>): PreflightReport {
  return preflightWithPlan(recipe, sources, io).report;
}

/** The report and the plan it was made from (the executor runs the plan). */
export function preflightWithPlan(recipe: ResolvedRecipe, sources: PlanSources, io?: Pick<MergeIO, 'writerFor'>): { report: PreflightReport; plan: MergePlan } {
  const method = getMethod(recipe.method);
  const plan = recipe.slices ? buildSlicePlan(recipe, sources) : buildPlan(recipe, sources);
  const blocking = [...recipeProblems(recipe, method), ...plan.blocking];
  if (io) {
    try {
      const writer = outputWriter(io, recipe.output);
      if (writer.id === 'onnx' && sources.models[0]?.format !== 'onnx') {
        blocking.push(`an ONNX output keeps the first model's graph, but ${fileName(sources.models[0]?.path ?? '')} is not an ONNX file; write .safetensors or .pt, or put an ONNX model first`);
      }
    } catch (e) {
      blocking.push((e as Error).message);
    }
  }
  const warnings = [...plan.warnings];
  if (sources.base && !method.needsBase && !method.acceptsBase) {
    warnings.push(recipe.output.folder
      ? `${method.label} does not merge a base model; ${sourceName(sources.base)} gives the output folder its config.json and tokenizer only`
      : `${method.label} does not use a base model; ${fileName(sources.base.path)} is ignored`);
  }

  const nModels = sources.models.length;
  const inputsPerTensor = nModels + (sources.base && (method.needsBase || method.acceptsBase) ? 1 : 0);
  let outputBytes = 0;
  let elements = 0;
  let inputBytes = 0;
  const counts = { merged: 0, copied: 0, excluded: plan.excluded.length, tiedAliases: 0 };
  for (const t of plan.tensors) {
    const n = numElements(t.shape);
    outputBytes += n * DTYPE_SIZE[t.outputDType];
    counts.tiedAliases += t.aliases.length;
    if (t.action.kind === 'copy') {
      counts.copied++;
      inputBytes += n * DTYPE_SIZE[t.outputDType];
      continue;
    }
    counts.merged++;
    elements += n * inputsPerTensor;
    const inSize = sources.models[0].tensors.find((x) => x.name === t.name)?.byteLength ?? n * 4;
    inputBytes += inSize * inputsPerTensor;
  }
  const fileBytes = [...sources.models, ...(sources.base ? [sources.base] : [])]
    .reduce((a, s) => { try { return a + statSync(s.path).size; } catch { return a; } }, 0);
  const estimatedSeconds = inputBytes / READ_BYTES_PER_S + fileBytes / HASH_BYTES_PER_S + outputBytes / WRITE_BYTES_PER_S + (elements * nsPerElement(method)) / 1e9;

  const report: PreflightReport = {
    method: method.id,
    models: sources.models.map(describe),
    base: sources.base ? describe(sources.base) : undefined,
    output: { path: recipe.output.path, bytes: outputBytes, inRunFolder: recipe.output.inRunFolder },
    counts,
    tied: plan.tied,
    // The process's peak, from how the executor buffers (memory-estimate.ts); alignment and repair included.
    peakMemoryBytes: estimateMergeMemory(plan, sources, {
      metadataFirst: Boolean(io && !safeLateMetadata(io, recipe.output.path)),
      aligned: Boolean(recipe.recipe.align),
      repaired: Boolean(recipe.recipe.align?.repair && recipe.recipe.align.repair !== 'none') || Boolean(recipe.recipe.align?.dataset && !recipe.recipe.align?.repair),
    }).peakBytes,
    estimatedSeconds,
    warnings,
    blocking,
    tensors: plan.tensors,
    excluded: plan.excluded,
  };
  return { report, plan };
}

function safeLateMetadata(io: Pick<MergeIO, 'writerFor'>, output: string): boolean {
  try { return io.writerFor(output).lateMetadata === true; } catch { return true; }
}

/** Opened models and base for a resolved recipe; a file that cannot be opened becomes a blocking line. */
export async function openSources(recipe: ResolvedRecipe, io: MergeIO): Promise<{ sources?: PlanSources; blocking: string[]; close: () => Promise<void> }> {
  const opened: ModelSource[] = [];
  const blocking: string[] = [];
  const open = async (p: string, folder?: string, written?: string) => {
    // A Hugging Face id (as mergekit configs name models) that is neither here nor in the cache: say where it was looked for.
    if (written && isHfRepoId(written) && !existsSync(p)) {
      blocking.push(`${written}: not found as ${p}, nor in the Hugging Face cache (${hfHubCache()}); download it first (for example \`huggingface-cli download ${written}\`), or give its folder`);
      return undefined;
    }
    try {
      const s = await io.openModel(p);
      opened.push(s);
      // A model folder resolved to its weights file (resolveRecipe) is still named by the folder.
      if (folder) s.folder ??= folder;
      return s;
    } catch (e) {
      blocking.push((e as Error).message.startsWith(p) || (e as Error).message.includes(fileName(p)) ? (e as Error).message : `${p}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const written = recipe.recipe.checkpoints ? [] : (recipe.recipe.models ?? []).map((m) => m.path);
  const models = await Promise.all(recipe.models.map((m, i) => open(m.path, m.folder, written[i])));
  const base = recipe.base ? await open(recipe.base, recipe.baseFolder, recipe.recipe.base) : undefined;
  const close = async () => { await Promise.all(opened.map((s) => s.close().catch(() => {}))); };
  if (blocking.length) return { blocking, close };
  return { sources: { models: models as ModelSource[], base }, blocking, close };
}

/** A report for a recipe whose files could not all be opened: nothing planned, only what blocks. */
function unopenedReport(recipe: ResolvedRecipe, blocking: string[]): PreflightReport {
  const method = getMethod(recipe.method);
  return {
    method: method.id,
    models: [],
    output: { path: recipe.output.path, bytes: 0, inRunFolder: recipe.output.inRunFolder },
    counts: { merged: 0, copied: 0, excluded: 0, tiedAliases: 0 },
    tied: [],
    peakMemoryBytes: 0,
    estimatedSeconds: 0,
    warnings: [],
    blocking,
    tensors: [],
    excluded: [],
  };
}

/** Resolves, opens, checks and closes: what the Scheme screen calls before enabling Run. */
/** With `align.rename`, the other models' tensors carry the reference's names, as the merge will see them. */
function renamingIO(io: MergeIO, r: ResolvedRecipe): MergeIO {
  const renames = r.recipe.align?.rename;
  if (!renames?.length) return io;
  const byPath = new Map(renames.filter((x) => r.models[x.model]).map((x) => [r.models[x.model].path, new Map(Object.entries(x.map).map(([ref, other]) => [other, ref]))]));
  return { ...io, openModel: async (p) => { const src = await io.openModel(p); const m = byPath.get(p); return m ? renamedSource(src, m) : src; } };
}

export async function runPreflight(recipe: Recipe, options: { baseDir: string; io?: MergeIO }): Promise<PreflightReport> {
  const resolved = await resolveRecipe(recipe, options.baseDir);
  const io = renamingIO(options.io ?? registryIO, resolved);
  const opened = await openSources(resolved, io);
  try {
    if (!opened.sources) return unopenedReport(resolved, [...recipeProblems(resolved), ...opened.blocking]);
    const { report, plan } = preflightWithPlan(resolved, opened.sources, io);
    if (resolved.output.folder) {
      const folder = await planOutputFolder(resolved, opened.sources, plan, recipeToYaml(recipe));
      report.blocking.push(...folder.blocking);
      report.warnings.push(...folder.notes);
    }
    return report;
  } finally {
    await opened.close();
  }
}
