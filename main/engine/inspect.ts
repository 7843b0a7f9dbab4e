// What the Load screen and `merge-studio inspect` show about a model file: headers, plus the checks that
// make the report true — sizes always (cheap), and with stats every tensor read and every stored checksum
// (a PyTorch record's CRC-32) compared. A file that fails is reported as damaged, with what is wrong.
import { promises as fs } from 'node:fs';
import { openModel } from './formats/registry';
import type { FormatId, GraphInfo, ModelSource } from './formats/types';
import { numElements, type DType } from './tensor/dtypes';
import { statsOf, type TensorStats } from './tensor/stats';

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
  /** What is wrong with the file (empty when the checks found nothing): a size or checksum that does not hold. */
  damaged: string[];
  /** With `stats`: per-tensor statistics, by name (every tensor read in full). */
  stats?: Record<string, TensorStats>;
}

export interface InspectOptions {
  /** Read every tensor for its statistics and check the stored checksums (slow for big files). */
  stats?: boolean;
}

export async function inspectModel(path: string, options: InspectOptions = {}): Promise<ModelInspection> {
  const source = await openModel(path);
  try {
    return await describeSource(source, options);
  } finally {
    await source.close();
  }
}

/** The inspection of an already open model (the Load screen keeps sources open for stats). */
export async function describeSource(source: ModelSource, options: InspectOptions = {}): Promise<ModelInspection> {
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
  const damaged = source.verify ? await source.verify({ data: options.stats === true }) : [];
  let stats: Record<string, TensorStats> | undefined;
  if (options.stats) {
    stats = {};
    for (const t of source.tensors) {
      try {
        stats[t.name] = await statsOf(t);
      } catch (e) {
        const msg = (e as Error).message;
        const problem = msg.startsWith(`${source.path}: `) ? msg.slice(source.path.length + 2) : msg;
        // a record the checksum check already named is not reported twice
        if (!damaged.some((d) => d.includes(`"${t.name}"`))) damaged.push(`tensor "${t.name}": ${problem}`);
      }
    }
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
    damaged,
    ...(stats ? { stats } : {}),
  };
}
