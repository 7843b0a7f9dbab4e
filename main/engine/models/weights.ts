// Weights of any format (PyTorch, safetensors, sharded safetensors, ONNX initializers) read into a built-in
// architecture by state-dict name: the options come from our checkpoints' metadata or off the shapes, so a
// state dict PyTorch saved from the same module tree works as it is. Eval, fine-tuning, alignment and
// comparison all take weights through here.
import { openModel } from '../formats/registry';
import { ModelFileError, type ModelSource, type TensorInfo } from '../formats/types';
import { isFloatDType, toFloat32 } from '../tensor/dtypes';
import { ARCH_OPTIONS_OR_GRAPH_HINT, ARCH_OR_GRAPH_HINT, sizeHint } from './hints';
import { getArchitecture } from './registry';
import type { ArchitectureGraph, ArchitectureOptions, NamedShape, StateDict, StateTensorSpec } from './types';

/** Architecture options except the data's shape. */
export type SizeOptions = Omit<ArchitectureOptions, 'inputShape' | 'numClasses'>;

const SIZE_KEYS = ['hidden', 'width', 'blocks', 'dropout'] as const;

function pickSizes(o: Record<string, unknown> | undefined): SizeOptions {
  const out: Record<string, unknown> = {};
  for (const k of SIZE_KEYS) if (o?.[k] !== undefined) out[k] = o[k];
  return out as SizeOptions;
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try { return JSON.parse(text) as T; } catch { return undefined; }
}

/**
 * The sizes to build `arch` with for the weights in `src`: those our checkpoints record (when they are of this
 * architecture), else those read off the tensors' shapes; the `given` ones win over both.
 */
export function resolveSizes(arch: string, src: { metadata: Record<string, string>; tensors: NamedShape[] }, given: SizeOptions = {}): SizeOptions {
  const meta = src.metadata;
  const recorded = !meta.arch || meta.arch === arch ? parseJson<Record<string, unknown>>(meta.config) : undefined;
  const base = recorded ? pickSizes(recorded) : pickSizes(getArchitecture(arch).inferOptions?.(src.tensors) as Record<string, unknown> | undefined);
  return { ...base, ...pickSizes(given as Record<string, unknown>) };
}

/** The input shape and classes our checkpoints record, when they do. */
export function recordedShape(src: Pick<ModelSource, 'metadata'>): { inputShape?: number[]; numClasses?: number } {
  const inputShape = parseJson<number[]>(src.metadata.input_shape);
  const numClasses = src.metadata.num_classes ? Number(src.metadata.num_classes) : undefined;
  return { ...(Array.isArray(inputShape) ? { inputShape } : {}), ...(numClasses && Number.isInteger(numClasses) ? { numClasses } : {}) };
}

export async function readBytes(info: TensorInfo): Promise<Uint8Array> {
  const b = await info.read();
  // a plain aligned copy where needed: a Buffer-pool view may be unaligned, and Buffer.slice() does not copy
  return Buffer.isBuffer(b) || b.byteOffset % 8 !== 0 ? new Uint8Array(b) : b;
}

/**
 * The tensors `layout` lists, out of `src` by name; every one must be there with its shape. `model` names
 * the architecture in errors.
 */
export async function readStateFrom(file: string, src: ModelSource, layout: StateTensorSpec[], model: string): Promise<StateDict> {
  const byName = new Map(src.tensors.map((t) => [t.name, t]));
  const state: StateDict = new Map();
  for (const t of layout) {
    const info = byName.get(t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!info) {
      // PyTorch < 0.4.1 and some exporters leave it out; it only counts batches
      if (t.role === 'num_batches_tracked') { state.set(t.name, { shape: t.shape, data: new BigInt64Array(1) }); continue; }
      throw new ModelFileError(file, `has no tensor "${t.name}", which ${model} needs`, ARCH_OPTIONS_OR_GRAPH_HINT);
    }
    const infoN = info.shape.reduce((a, b) => a * b, 1);
    if (infoN !== n || (t.shape.length > 0 && info.shape.join('x') !== t.shape.join('x'))) {
      throw new ModelFileError(file, `tensor "${t.name}" has shape [${info.shape.join(', ')}], ${model} needs [${t.shape.join(', ')}]`, sizeHint(model));
    }
    const bytes = await readBytes(info);
    if (t.dtype === 'i64') {
      const v = info.dtype === 'i64' ? new BigInt64Array(bytes.buffer, bytes.byteOffset, Math.max(1, n)).slice()
        : BigInt64Array.from(toFloat32(bytes, info.dtype), (x) => BigInt(Math.round(x)));
      state.set(t.name, { shape: t.shape, data: v });
    } else {
      if (!isFloatDType(info.dtype)) throw new ModelFileError(file, `tensor "${t.name}" is ${info.dtype}, not floating point`);
      state.set(t.name, { shape: t.shape, data: toFloat32(bytes, info.dtype) });
    }
  }
  return state;
}

/** The same for a file of any format, opened and closed here. */
export async function readStateFile(file: string, layout: StateTensorSpec[], model: string): Promise<StateDict> {
  const src = await openModel(file);
  try {
    return await readStateFrom(file, src, layout, model);
  } finally {
    await src.close();
  }
}

export interface ArchWeightsOptions {
  /** Architecture id; default: the one our checkpoint records. */
  arch?: string;
  sizes?: SizeOptions;
  /** The data's example shape and classes; default: what the file records, else MNIST's. */
  inputShape?: number[];
  numClasses?: number;
}

export interface ArchWeights { graph: ArchitectureGraph; state: StateDict }

/** Open `file` (any format) and read it into a built-in architecture. */
export async function loadArchWeights(file: string, o: ArchWeightsOptions = {}): Promise<ArchWeights> {
  const src = await openModel(file);
  try {
    return await archWeightsFrom(file, src, o);
  } finally {
    await src.close();
  }
}

/** The same from an already opened source. */
export async function archWeightsFrom(file: string, src: ModelSource, o: ArchWeightsOptions = {}): Promise<ArchWeights> {
  const arch = o.arch ?? (src.metadata.arch && src.metadata.arch !== 'onnx' ? src.metadata.arch : undefined);
  if (!arch) throw new ModelFileError(file, `holds weights only (${src.format}) and does not say which architecture they belong to`, ARCH_OR_GRAPH_HINT);
  const recorded = recordedShape(src);
  const graph = getArchitecture(arch).build({
    inputShape: o.inputShape ?? recorded.inputShape ?? [1, 28, 28],
    numClasses: o.numClasses ?? recorded.numClasses ?? 10,
    ...resolveSizes(arch, src, o.sizes),
  });
  return { graph, state: await readStateFrom(file, src, graph.tensors, arch) };
}
