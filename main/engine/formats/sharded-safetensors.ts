// A Hugging Face model folder's weights, as mergekit writes them (io/tensor_writer.py): tensors in order into
// shards of at most `maxShardBytes` (a shard holds at least one tensor), one shard named model.safetensors,
// several model-00001-of-0000N.safetensors with a model.safetensors.index.json {metadata: {total_size},
// weight_map}. The shards are known from the specs at begin(), so each is written to its final name through
// the atomic single-file writer; weight files of an earlier run that this one does not write are removed at
// finish, so the folder holds one model.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../files/writeAtomic';
import { safetensorsWriter } from './safetensors';
import { DTYPE_SIZE } from '../tensor/dtypes';
import type { FormatWriter, TensorSpec, TensorWriteSession, WriteOptions, WrittenFile } from './types';

/** mergekit's default --out-shard-size: 5B (bytes of tensor data, whatever its help text says). */
export const DEFAULT_SHARD_BYTES = 5e9;

/** transformers refuses safetensors whose metadata lacks format (pt, tf, flax, mlx). */
const FORMAT_METADATA = { format: 'pt' };

const INDEX = 'model.safetensors.index.json';
const WEIGHT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors$/;

/** A size as mergekit's parse_kmb reads it: a number of bytes, or "500M", "2B", "100k". */
export function parseShardSize(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)([kKmMbB]?)$/.exec(v.trim());
  if (!m) throw new Error(`shard size "${v}" is not a number of bytes (like 5000000000, 500M or 5B)`);
  return Number(m[1]) * ({ k: 1e3, m: 1e6, b: 1e9 }[m[2].toLowerCase()] ?? 1);
}

/** The specs split into shards, in order: a new shard when the next tensor would pass the limit (tied aliases ride with their tensor). */
export function shardSpecs(specs: TensorSpec[], tied: string[][], maxShardBytes: number): TensorSpec[][] {
  const aliasOf = new Map<string, string>();
  for (const g of tied) for (const n of g.slice(1)) aliasOf.set(n, g[0]);
  const shardOf = new Map<string, number>();
  const shards: TensorSpec[][] = [];
  let size = 0;
  for (const spec of specs) {
    if (aliasOf.has(spec.name)) continue;
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[spec.dtype];
    if (!shards.length || (maxShardBytes > 0 && size > 0 && size + bytes > maxShardBytes)) { shards.push([]); size = 0; }
    shards[shards.length - 1].push(spec);
    shardOf.set(spec.name, shards.length - 1);
    size += bytes;
  }
  for (const spec of specs) {
    const target = aliasOf.get(spec.name);
    if (target !== undefined) shards[shardOf.get(target) ?? 0].push(spec);
  }
  return shards;
}

export function shardName(i: number, count: number): string {
  return count === 1 ? 'model.safetensors' : `model-${String(i + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The folder's hash: SHA-256 of its weight files' `sha256sum` listing ("<sha256>  <name>" lines in name
 * order), so it covers every byte of every shard; bytes: theirs together.
 */
async function folderHash(dir: string, names: string[]): Promise<WrittenFile> {
  const lines: string[] = [];
  let bytes = 0;
  for (const name of [...names].sort()) {
    const file = path.join(dir, name);
    lines.push(`${await sha256Of(file)}  ${name}\n`);
    bytes += (await fs.stat(file)).size;
  }
  return { sha256: createHash('sha256').update(lines.join('')).digest('hex'), bytes };
}

async function beginFolder(dir: string, specs: TensorSpec[], options: WriteOptions, maxShardBytes: number): Promise<TensorWriteSession> {
  const existed = await fs.stat(dir).then((s) => s.isDirectory(), () => false);
  await fs.mkdir(dir, { recursive: true });
  const tied = options.tied ?? [];
  const shards = shardSpecs(specs, tied, maxShardBytes);
  const names = shards.map((_, i) => shardName(i, shards.length));
  const sessions: TensorWriteSession[] = [];
  const abortAll = async () => {
    await Promise.all(sessions.map((s) => s.abort().catch(() => {})));
    if (!existed) await fs.rmdir(dir).catch(() => {}); // only when we made it and it is empty
  };
  try {
    for (const [i, part] of shards.entries()) {
      const inShard = new Set(part.map((s) => s.name));
      sessions.push(await safetensorsWriter.begin(path.join(dir, names[i]), part, {
        metadata: { ...FORMAT_METADATA, ...options.metadata },
        tied: tied.filter((g) => inShard.has(g[0])),
      }));
    }
  } catch (e) {
    await abortAll();
    throw e;
  }
  const route = new Map<string, number>();
  shards.forEach((part, i) => { for (const s of part) route.set(s.name, i); });
  return {
    writeTensor: (name, data) => {
      const i = route.get(name);
      if (i === undefined) throw new Error(`model folder writer: unexpected tensor "${name}"`);
      return sessions[i].writeTensor(name, data);
    },
    async finish(final) {
      try {
        for (const s of sessions) await s.finish(final?.metadata && { metadata: { ...FORMAT_METADATA, ...final.metadata } });
      } catch (e) {
        await abortAll();
        throw e;
      }
      const stale = (await fs.readdir(dir)).filter((n) => (WEIGHT_FILE.test(n) || n === INDEX) && !names.includes(n));
      await Promise.all(stale.map((n) => fs.rm(path.join(dir, n), { force: true })));
      if (shards.length > 1) {
        const totalSize = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * DTYPE_SIZE[s.dtype], 0);
        const weightMap = Object.fromEntries(shards.flatMap((part, i) => part.map((s) => [s.name, names[i]])));
        await writeFileAtomic(path.join(dir, INDEX), `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`);
      }
      return folderHash(dir, names);
    },
    abort: abortAll,
  };
}

/** The writer of a model folder's weights, shards at most `maxShardBytes` (0: one file). */
export function modelFolderWriter(maxShardBytes = DEFAULT_SHARD_BYTES): FormatWriter {
  return {
    id: 'safetensors',
    extensions: [],
    lateMetadata: true,
    begin: (dir, specs, options = {}) => beginFolder(dir, specs, options, maxShardBytes),
  };
}
