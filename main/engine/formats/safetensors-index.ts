// Sharded models: `*.safetensors.index.json` (or transformers' `pytorch_model.bin.index.json`) =
// {metadata?, weight_map: {tensor: shard file}}. Each shard is opened with the single-file reader of its
// format; the model is their union in weight_map order.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { realPathInModelFolder } from './linked-files';
import { assertRegularFile } from './regular-file';
import { pytorchReader } from './pytorch';
import { safetensorsReader } from './safetensors';
import { ModelFileError, type FormatReader, type ModelSource, type OpenOptions, type TensorInfo } from './types';
import { checkTiedGroups, summarizeTieProblems } from './tied-groups';

/** An index lists names and file names only; anything bigger is not an index. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
const INDEX_SUFFIX = '.safetensors.index.json';
const BIN_INDEX_SUFFIX = '.bin.index.json';

export function looksLikeSafetensorsIndex(head: Uint8Array, file: string): boolean {
  const text = new TextDecoder().decode(head.subarray(0, 4096));
  if (!text.trimStart().startsWith('{')) return false;
  return file.toLowerCase().endsWith(INDEX_SUFFIX) || text.includes('"weight_map"');
}

function parseIndex(file: string, text: string): { metadata: Record<string, string>; weightMap: Map<string, string> } {
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) {
    throw new ModelFileError(file, `is not valid JSON (${(e as Error).message})`, 'the index file is damaged; download it again');
  }
  const obj = json as { metadata?: unknown; weight_map?: unknown };
  if (!obj || typeof obj !== 'object' || !obj.weight_map || typeof obj.weight_map !== 'object' || Array.isArray(obj.weight_map)) {
    throw new ModelFileError(file, 'has no "weight_map" object', 'a sharded safetensors index maps each tensor name to its shard file');
  }
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(obj.weight_map as Record<string, unknown>)) {
    // Shards live beside the index: a path elsewhere would let an index read arbitrary files.
    if (typeof shard !== 'string' || shard !== path.basename(shard) || shard === '..' || shard === '.' || shard.includes('\\')) {
      throw new ModelFileError(file, `maps "${name}" to ${JSON.stringify(shard)}, which is not a file name in the index's folder`,
        'shard files must sit next to the index');
    }
    weightMap.set(name, shard);
  }
  const metadata: Record<string, string> = {};
  if (obj.metadata && typeof obj.metadata === 'object') {
    for (const [k, v] of Object.entries(obj.metadata as Record<string, unknown>)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { metadata, weightMap };
}

async function openIndex(file: string, shardReader: FormatReader, options?: OpenOptions): Promise<ModelSource> {
  const size = (await assertRegularFile(file, 'safetensors index')).size;
  if (size > MAX_INDEX_BYTES) throw new ModelFileError(file, `is ${size} bytes, too big for a safetensors index`, 'open the .safetensors shards instead');
  const { metadata, weightMap } = parseIndex(file, await fs.readFile(file, 'utf8'));
  const dir = path.dirname(file);
  const shards = new Map<string, ModelSource>();
  const closeAll = async () => { await Promise.all([...shards.values()].map((s) => s.close())); };
  try {
    for (const shard of new Set(weightMap.values())) {
      const shardPath = path.join(dir, shard);
      try {
        // a shard may be a link (the Hugging Face cache's are) but must really lie in the index's folder
        await realPathInModelFolder(file, shardPath, `shard "${shard}"`);
        await assertRegularFile(shardPath, 'shard');
        shards.set(shard, await shardReader.open(shardPath, options));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new ModelFileError(file, `lists shard "${shard}", which does not exist in ${dir}`, 'download every shard into the same folder');
        }
        throw e;
      }
    }
    // by name, per shard: a find() per listed name would be quadratic in a model of 100k tensors
    const byShard = new Map([...shards].map(([shard, src]) => [shard, new Map(src.tensors.map((t) => [t.name, t]))]));
    const tensors: TensorInfo[] = [];
    for (const [name, shard] of weightMap) {
      const t = byShard.get(shard)!.get(name);
      if (!t) throw new ModelFileError(file, `says "${name}" is in ${shard}, but that shard has no such tensor`, 'the index and shards do not match; download them again');
      tensors.push(t);
    }
    const notes = [`${shards.size} shard${shards.size === 1 ? '' : 's'}: ${[...shards.keys()].join(', ')}`];
    for (const [shard, src] of shards) {
      const extra = src.tensors.filter((t) => weightMap.get(t.name) !== shard);
      if (extra.length) notes.push(`${shard} holds ${extra.length} tensors the index does not list (ignored): ${extra.slice(0, 5).map((t) => t.name).join(', ')}`);
    }
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const { groups: tied, problems } = checkTiedGroups([...shards.values()].flatMap((s) => s.tied), (n) => byName.get(n));
    if (problems.length) notes.push(`ignored ${problems.length} tied group(s) of the shards (each tensor is loaded on its own): ${summarizeTieProblems(problems)}`);
    return { path: file, format: shardReader.id, metadata, tensors, tied, notes, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

export const safetensorsIndexReader: FormatReader = {
  id: 'safetensors',
  label: 'sharded safetensors (index.json)',
  extensions: [INDEX_SUFFIX],
  sniff: looksLikeSafetensorsIndex,
  open: (file, options) => openIndex(file, safetensorsReader, options),
};

/** transformers' sharded pickles (`pytorch_model.bin.index.json`): the same index, shards read as PyTorch files. */
export const pytorchIndexReader: FormatReader = {
  id: 'pytorch',
  label: 'sharded PyTorch (bin.index.json)',
  extensions: [BIN_INDEX_SUFFIX],
  sniff: (head, file) => file.toLowerCase().endsWith(BIN_INDEX_SUFFIX) && looksLikeSafetensorsIndex(head, file),
  open: (file, options) => openIndex(file, pytorchReader, options),
};
