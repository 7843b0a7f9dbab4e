// What the Load screen and `merge-studio inspect` show about a model file: headers only, no tensor data.
import { promises as fs } from 'node:fs';
import { openModel } from './formats/registry';
import type { FormatId, GraphInfo, ModelSource } from './formats/types';
import { numElements, type DType } from './tensor/dtypes';

export interface TensorSummary { name: string; dtype: DType; shape: number[] }

export interface ModelInspection {
  format: FormatId;
  tensors: TensorSummary[];
  tied: string[][];
  metadata: Record<string, string>;
  notes: string[];
  graph?: GraphInfo;
  /** Elements over all tensors, each tied group counted once. */
  parameterCount: number;
  /** Bytes of tensor data, each tied group counted once. */
  byteSize: number;
  /** Size of the file on disk (the index file alone for sharded safetensors). */
  fileSize: number;
  /** Elements per dtype, tied groups counted once. */
  dtypeMix: Partial<Record<DType, number>>;
}

export async function inspectModel(path: string): Promise<ModelInspection> {
  const source = await openModel(path);
  try {
    return await describeSource(source);
  } finally {
    await source.close();
  }
}

/** The inspection of an already open model (the Load screen keeps sources open for stats). */
export async function describeSource(source: ModelSource): Promise<ModelInspection> {
  const aliases = new Set(source.tied.flatMap((g) => g.slice(1)));
  let parameterCount = 0;
  let byteSize = 0;
  const dtypeMix: Partial<Record<DType, number>> = {};
  for (const t of source.tensors) {
    if (aliases.has(t.name)) continue;
    const n = numElements(t.shape);
    parameterCount += n;
    byteSize += t.byteLength;
    dtypeMix[t.dtype] = (dtypeMix[t.dtype] ?? 0) + n;
  }
  return {
    format: source.format,
    tensors: source.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] })),
    tied: source.tied.map((g) => [...g]),
    metadata: { ...source.metadata },
    notes: [...source.notes],
    ...(source.graph ? { graph: source.graph } : {}),
    parameterCount,
    byteSize,
    fileSize: (await fs.stat(source.path)).size,
    dtypeMix,
  };
}
