// Any model a user gives, as one thing to run, interpolate, permute or merge in memory: a graph plus a state
// dict by name. An ONNX file is its own graph; weights (any format) take a built-in architecture (named, or
// recorded by our checkpoints) or the graph of an ONNX file of the same model.
import { readFile } from 'node:fs/promises';
import { openModel } from '../formats/registry';
import { ModelFileError } from '../formats/types';
import { decodeModel, encodeModel, type ModelProto } from '../onnx/proto';
import { onnxNet } from './onnx-net';
import { inferenceModel } from './state';
import type { ArchitectureGraph, StateDict } from './types';
import { archWeightsFrom, readStateFrom, type SizeOptions } from './weights';

export interface NetOptions {
  /** A built-in architecture for bare weights. */
  arch?: string;
  /** An ONNX file whose graph the weights belong to (its initializers are replaced by name). */
  graph?: string;
  sizes?: SizeOptions;
  /** The data's example shape and classes, when known (a dataset); else what the file says, else MNIST's. */
  inputShape?: number[];
  numClasses?: number;
}

export interface Net {
  file: string;
  graph: ArchitectureGraph;
  state: StateDict;
}

async function decodeOnnx(file: string): Promise<ModelProto> {
  const bytes = await readFile(file).catch(() => { throw new ModelFileError(file, 'cannot be read', 'check the path'); });
  try {
    return decodeModel(bytes);
  } catch (e) {
    throw new ModelFileError(file, `is not a valid ONNX model (${(e as Error).message})`);
  }
}

function outputClasses(m: ModelProto): number | undefined {
  const dims = m.graph.output[0]?.type?.tensorType?.shape;
  const k = dims?.length === 2 ? dims[1].dimValue : undefined;
  return k === undefined ? undefined : Number(k);
}

async function onnxGraph(file: string, o: NetOptions): Promise<{ graph: ArchitectureGraph; state: StateDict }> {
  const m = await decodeOnnx(file);
  return onnxNet(file, m, o.inputShape, o.numClasses ?? outputClasses(m) ?? 10);
}

/** Open `file` as a Net (see NetOptions). Errors name the file and what to give instead. */
export async function loadNet(file: string, o: NetOptions = {}): Promise<Net> {
  if (o.arch && o.graph) throw new Error('give either an architecture or a graph, not both');
  const src = await openModel(file);
  try {
    if (o.graph) {
      const { graph } = await onnxGraph(o.graph, o);
      const names = new Set(graph.tensors.map((t) => t.name));
      const unused = src.tensors.filter((t) => !names.has(t.name) && !t.name.endsWith('num_batches_tracked'));
      if (unused.length) {
        throw new ModelFileError(file, `${unused.length} of its tensors (${unused.slice(0, 3).map((t) => `"${t.name}"`).join(', ')}${unused.length > 3 ? ', …' : ''}) are not in ${o.graph}`, 'give the graph these weights belong to');
      }
      return { file, graph, state: await readStateFrom(file, src, graph.tensors, o.graph) };
    }
    if (src.format === 'onnx' && !o.arch) return { file, ...(await onnxGraph(file, o)) };
    return { file, ...(await archWeightsFrom(file, src, o)) };
  } finally {
    await src.close();
  }
}

/** The runnable ONNX bytes of a net with the given state (default: its own). */
export function netModel(net: Pick<Net, 'graph' | 'state'>, state: StateDict = net.state): Uint8Array {
  return encodeModel(inferenceModel(net.graph, state));
}

/** Whether two nets have the same tensors (names, shapes) — the precondition of every in-memory merge. */
export function sameLayout(a: Net, b: Net): string | null {
  const ta = a.graph.tensors, tb = new Map(b.graph.tensors.map((t) => [t.name, t]));
  for (const t of ta) {
    const u = tb.get(t.name);
    if (!u) return `${b.file} has no tensor "${t.name}" (${a.file} has)`;
    if (u.shape.join('x') !== t.shape.join('x')) return `tensor "${t.name}" is [${t.shape.join(', ')}] in ${a.file} but [${u.shape.join(', ')}] in ${b.file}`;
  }
  if (tb.size !== ta.length) {
    const extra = b.graph.tensors.find((t) => !ta.some((x) => x.name === t.name))!;
    return `${b.file} has a tensor "${extra.name}" that ${a.file} lacks`;
  }
  return null;
}
