// `merge-studio convert IN OUT`: rewrites a model in the format OUT's extension names, tensor by
// tensor (one tensor in memory at a time), optionally casting float tensors to one float dtype.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { removeStaleTemps } from './files/temp-files';
import { openModel, writerFor } from './formats/registry';
import { ModelFileError, type FormatId, type TensorSpec } from './formats/types';
import { fromFloat32, isFloatDType, toFloat32, type DType } from './tensor/dtypes';
import { silentContext, throwIfCancelled, type JobContext } from './job-context';
import { refuseExisting } from './workspace/output-guard';

export type ConvertDType = 'f32' | 'f16' | 'bf16';

export interface ConvertOptions {
  /** Cast every float tensor to this dtype; integer and bool tensors are never converted. */
  dtype?: ConvertDType;
  /** Replace the output file when it exists (refused otherwise). */
  overwrite?: boolean;
}

export interface ConvertResult {
  from: FormatId;
  to: FormatId;
  tensors: number;
  /** Bytes of tensor data written (tied groups once). */
  bytes: number;
  notes: string[];
}

async function samePath(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino; // links and other spellings of one file
  } catch {
    return false; // the output does not exist yet
  }
}

export function targetDType(dtype: DType, cast?: ConvertDType): DType {
  return cast && isFloatDType(dtype) ? cast : dtype;
}

export async function convertModel(inPath: string, outPath: string, options: ConvertOptions = {}, ctx: JobContext = silentContext()): Promise<ConvertResult> {
  if (await samePath(inPath, outPath)) {
    throw new ModelFileError(outPath, 'is the input file; converting onto itself would destroy it', 'choose a different output file name');
  }
  refuseExisting([outPath], options.overwrite);
  const writer = writerFor(outPath);
  // what a killed or crashed convert left beside its output (a temp file as big as the model) goes first
  const swept = await removeStaleTemps(path.dirname(path.resolve(outPath)));
  if (swept.length) ctx.log(`removed ${swept.length} temp file${swept.length === 1 ? '' : 's'} left by a convert that did not finish: ${swept.map((f) => path.basename(f)).join(', ')}`);
  const source = await openModel(inPath);
  try {
    if (writer.id === 'onnx' && !source.graph) {
      throw new ModelFileError(inPath, `is ${source.format} and has no graph, so it cannot become an .onnx file`,
        'write .safetensors or .pt instead, or convert from an ONNX export of the model');
    }
    const aliases = new Set(source.tied.flatMap((g) => g.slice(1)));
    const specs: TensorSpec[] = source.tensors.map((t) => ({ name: t.name, dtype: targetDType(t.dtype, options.dtype), shape: t.shape }));
    const written = source.tensors.filter((t) => !aliases.has(t.name));
    const total = written.reduce((n, t) => n + t.byteLength, 0);
    const session = await writer.begin(outPath, specs, {
      metadata: source.metadata,
      tied: source.tied,
      graphFrom: writer.id === 'onnx' ? inPath : undefined,
    });
    let done = 0;
    try {
      for (const t of written) {
        throwIfCancelled(ctx);
        ctx.progress({ done, total, unit: 'bytes', message: t.name });
        let bytes = await t.read();
        const to = targetDType(t.dtype, options.dtype);
        if (to !== t.dtype) bytes = fromFloat32(toFloat32(bytes, t.dtype), to);
        await session.writeTensor(t.name, bytes);
        done += t.byteLength;
      }
      throwIfCancelled(ctx);
      await session.finish();
    } catch (e) {
      await session.abort();
      throw e;
    }
    ctx.progress({ done: total, total, unit: 'bytes' });
    return { from: source.format, to: writer.id, tensors: source.tensors.length, bytes: total, notes: source.notes };
  } finally {
    await source.close();
  }
}
