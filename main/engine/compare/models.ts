// The models a comparison, a soup or a search is given, made runnable: an ONNX file runs as it is; weights
// run through their graph — a built-in architecture (named, recorded by our checkpoints, or that of the
// merge's parents when the file is a merge of them) or an ONNX graph of the same model.
import path from 'node:path';
import { openModel } from '../formats/registry';
import { ModelFileError, type ModelSource } from '../formats/types';
import type { Dataset } from '../data/types';
import { METADATA_KEYS } from '../merge/executor';
import { parseRecipe } from '../merge/recipe';
import { listArchitectures } from '../models/registry';
import { recordedShape } from '../models/weights';
import { loadNet, netModel, type Net } from '../models/load-net';
import type { ModelInput } from '../evaluate';
import { mergeRunOf } from './history';

export interface ModelRef {
  path: string;
  /** A built-in architecture for bare weights (smallcnn, mlp, vgg, resnet). */
  arch?: string;
  /** An ONNX file whose graph the weights belong to. */
  graph?: string;
  /** How the model is called in tables and charts (default: its file name). */
  label?: string;
}

export interface MergeProvenance {
  /** The merge's run folder, when the workspace holds it. */
  runDir?: string;
  recipeYaml?: string;
  method?: string;
  parents: { role: string; path?: string; name: string; sha256?: string }[];
}

export interface ResolvedModel {
  ref: ModelRef;
  label: string;
  /** What onnxruntime runs: the ONNX file itself, or the graph with these weights. */
  model: ModelInput;
  /** The graph + state dict (weights as loaded), for curves, soups and searches. */
  net: () => Promise<Net>;
  /** Set when the file is the output of a merge (our metadata or the workspace's run folder say so). */
  merge?: MergeProvenance;
  notes: string[];
}

const archIds = () => listArchitectures().map((a) => a.id).join(', ');

export function labelOf(ref: ModelRef): string {
  return ref.label ?? path.basename(ref.path);
}

/** What the file says of the merge that made it (metadata), completed by its run folder in the workspace. */
async function provenanceOf(file: string, src: ModelSource, workspace?: string): Promise<MergeProvenance | undefined> {
  const recipeYaml = src.metadata[METADATA_KEYS.recipe];
  let parents: MergeProvenance['parents'] = [];
  try {
    const listed = JSON.parse(src.metadata[METADATA_KEYS.parents] ?? '[]') as { role?: string; name?: string; sha256?: string }[];
    if (Array.isArray(listed)) parents = listed.map((p) => ({ role: p.role ?? 'model', name: String(p.name ?? '?'), ...(p.sha256 ? { sha256: p.sha256 } : {}) }));
  } catch { /* not ours */ }
  const run = workspace ? await mergeRunOf(workspace, file).catch(() => undefined) : undefined;
  if (!recipeYaml && !run) return undefined;
  const recorded = run?.record.parents;
  if (Array.isArray(recorded)) {
    parents = (recorded as { role?: string; path?: string; name?: string; sha256?: string }[]).map((p) => ({
      role: p.role ?? 'model', ...(p.path ? { path: p.path } : {}), name: p.name ?? path.basename(p.path ?? '?'), ...(p.sha256 ? { sha256: p.sha256 } : {}),
    }));
  } else if (recipeYaml) {
    // Without the run folder: the recipe's model paths, where they name files (relative ones next to the output).
    try {
      const r = parseRecipe(recipeYaml);
      const paths = (r.models ?? []).map((m) => path.resolve(path.dirname(file), m.path));
      parents = parents.map((p, i) => (paths[i] && path.basename(paths[i]) === p.name ? { ...p, path: paths[i] } : p));
    } catch { /* an old or foreign recipe: names only */ }
  }
  return {
    ...(run ? { runDir: run.dir } : {}),
    recipeYaml: run?.recipeYaml ?? recipeYaml,
    method: typeof run?.record.method === 'string' ? run.record.method : src.metadata[METADATA_KEYS.method],
    parents,
  };
}

/** The architecture the merge's first parent records, when the parent is at hand. */
async function parentArch(merge: MergeProvenance | undefined): Promise<string | undefined> {
  const first = merge?.parents.find((p) => p.role === 'model' && p.path);
  if (!first?.path) return undefined;
  try {
    const src = await openModel(first.path);
    try {
      const a = src.metadata.arch;
      return a && a !== 'onnx' ? a : undefined;
    } finally {
      await src.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Opens `ref` for evaluation on data shaped like `d`. Errors name the file and say what to give: a file that
 * holds weights only and says no architecture "cannot run" until an architecture or a graph is picked.
 */
export async function resolveModel(ref: ModelRef, d: Pick<Dataset, 'inputShape' | 'numClasses'>, workspace?: string): Promise<ResolvedModel> {
  if (ref.arch && ref.graph) throw new ModelFileError(ref.path, 'was given both an architecture and a graph', 'give one of them');
  if (ref.arch && !listArchitectures().some((a) => a.id === ref.arch)) throw new ModelFileError(ref.path, `names an unknown architecture "${ref.arch}"`, `choose one of: ${archIds()}`);
  const src = await openModel(ref.path);
  let merge: MergeProvenance | undefined;
  let recordedArch: string | undefined;
  let format: string;
  let recorded: { inputShape?: number[]; numClasses?: number };
  try {
    format = src.format;
    recorded = recordedShape(src);
    merge = await provenanceOf(ref.path, src, workspace);
    recordedArch = src.metadata.arch && src.metadata.arch !== 'onnx' ? src.metadata.arch : undefined;
  } finally {
    await src.close();
  }
  const notes: string[] = [];
  const label = labelOf(ref);
  if (format === 'onnx' && !ref.arch && !ref.graph) {
    let net: Promise<Net> | undefined;
    return { ref, label, model: ref.path, net: () => (net ??= loadNet(ref.path, { inputShape: d.inputShape, numClasses: d.numClasses })), ...(merge ? { merge } : {}), notes };
  }
  let arch = ref.arch;
  if (!arch && !ref.graph && !recordedArch) {
    arch = await parentArch(merge);
    if (arch) notes.push(`runs as ${arch}, the architecture of the models it was merged from`);
  }
  if (!arch && !ref.graph && !recordedArch) {
    throw new ModelFileError(ref.path, `holds weights only (${format}) and does not say which architecture they belong to, so it cannot run`,
      `pick its architecture (${archIds()}) or an ONNX graph of the same model`);
  }
  // A checkpoint's recorded classes win over the data's, so that a mismatch is reported as one (checkClasses).
  const net = await loadNet(ref.path, {
    ...(arch ? { arch } : {}), ...(ref.graph ? { graph: ref.graph } : {}),
    inputShape: recorded.inputShape ?? d.inputShape, numClasses: recorded.numClasses ?? d.numClasses,
  });
  return { ref, label, model: netModel(net), net: async () => net, ...(merge ? { merge } : {}), notes };
}

/** A model's outputs against the dataset's classes: they must be the same number. */
export function checkClasses(label: string, numOutputs: number, d: Pick<Dataset, 'id' | 'numClasses'>): void {
  if (numOutputs !== d.numClasses) {
    throw new Error(`${label} has ${numOutputs} outputs but ${d.id} has ${d.numClasses} classes; evaluate it on data with the classes it was trained on` +
      (numOutputs > d.numClasses ? ` (a subset without :remap keeps all ${numOutputs} labels, e.g. ?task=subset:0-4)` : ''));
  }
}
