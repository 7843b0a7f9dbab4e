// Hugging Face model folders: config.json beside the weights (model.safetensors, a sharded
// model.safetensors.index.json, pytorch_model.bin or its index), as mergekit and transformers read them;
// and the Hugging Face cache, whose repo folder `models--org--name/` holds `refs/main` (a revision) and
// `snapshots/<revision>/` (the files, links into `blobs/`). A folder opens as its weights file.
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { ModelFileError } from './types';

/** The weights files of a model folder, in mergekit's order (its ShardedTensorIndex.from_disk): an index wins over its single file. */
export const WEIGHT_FILES = ['model.safetensors.index.json', 'model.safetensors', 'pytorch_model.bin.index.json', 'pytorch_model.bin'] as const;

export interface ModelFolder {
  /** The folder the model's files lie in (for the HF cache: the snapshot folder). */
  dir: string;
  /** Its weights file, one of WEIGHT_FILES. */
  weights: string;
}

async function isDir(p: string): Promise<boolean> {
  return fs.stat(p).then((s) => s.isDirectory(), () => false);
}

/**
 * The snapshot folder of a HF cache repo folder (`models--org--name`): the revision `refs/main` names, else
 * the only snapshot; undefined when `dir` is not such a folder.
 */
export async function cacheSnapshot(dir: string): Promise<string | undefined> {
  const snapshots = path.join(dir, 'snapshots');
  if (!(await isDir(snapshots)) || !(await isDir(path.join(dir, 'blobs')))) return undefined;
  const ref = await fs.readFile(path.join(dir, 'refs', 'main'), 'utf8').then((t) => t.trim(), () => undefined);
  // A revision is a commit hash: a name with a slash or dots could point anywhere.
  if (ref && /^[\w-]+$/.test(ref) && (await isDir(path.join(snapshots, ref)))) return path.join(snapshots, ref);
  const revs = (await fs.readdir(snapshots, { withFileTypes: true })).filter((e) => e.isDirectory());
  if (revs.length === 1) return path.join(snapshots, revs[0].name);
  throw new ModelFileError(dir, `is a Hugging Face cache folder with ${revs.length} snapshots and no refs/main naming one`,
    `give the snapshot folder itself (${path.join(snapshots, '<revision>')})`);
}

/** A model folder's weights file (mergekit's order), or a ModelFileError saying what the folder holds instead. */
export async function resolveModelFolder(dir: string): Promise<ModelFolder> {
  const folder = (await cacheSnapshot(dir)) ?? dir;
  for (const name of WEIGHT_FILES) {
    const file = path.join(folder, name);
    if (existsSync(file)) return { dir: folder, weights: file };
  }
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  const models = names.filter((n) => /\.(safetensors|bin|pt|pth|ckpt|onnx)$/i.test(n));
  throw new ModelFileError(folder, `is a folder with no ${WEIGHT_FILES.join(', ')}`,
    models.length ? `pick one of its model files instead: ${models.slice(0, 5).join(', ')}${models.length > 5 ? ', …' : ''}` : 'a Hugging Face model folder holds config.json and its weights; pick the model file itself otherwise');
}

/** Where the Hugging Face cache lies: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub (huggingface_hub's rule). */
export function hfHubCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

/** A Hugging Face repo id as mergekit configs name models ("org/name"), not a path (nor a file named like a model: run/epoch-3.pt). */
export function isHfRepoId(p: string): boolean {
  return /^[\w.-]+\/[\w.-]+$/.test(p) && !p.startsWith('.') && !p.includes('..') && !/\.(safetensors|pt|pth|bin|ckpt|onnx|json|ya?ml)$/i.test(p);
}

/** The cache repo folder of a downloaded repo id ("org/name" → <cache>/models--org--name), when it is there. */
export async function findInHfCache(id: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (!isHfRepoId(id)) return undefined;
  const dir = path.join(hfHubCache(env), `models--${id.replace('/', '--')}`);
  return (await isDir(dir)) ? dir : undefined;
}

/**
 * The file a model path opens as: a file as it is, a folder as its weights file. A path that does not exist
 * and reads as a Hugging Face id is looked up in the HF cache (mergekit configs name models so).
 */
export async function modelFileOf(p: string, options: { hfId?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ file: string; folder?: string }> {
  let target = p;
  if (!existsSync(target) && options.hfId) target = (await findInHfCache(options.hfId, options.env)) ?? target;
  if (!(await isDir(target))) {
    // A folder's own weights file named directly (its model.safetensors beside config.json) is that folder's model.
    const dir = path.dirname(target);
    const own = (WEIGHT_FILES as readonly string[]).includes(path.basename(target)) && existsSync(path.join(dir, 'config.json'));
    return own ? { file: target, folder: dir } : { file: target };
  }
  const { dir, weights } = await resolveModelFolder(target);
  return { file: weights, folder: dir };
}

/** A source's name in messages: its model folder's name when opened from one (every weights file is model.safetensors). */
export function sourceName(source: { path: string; folder?: string }): string {
  return path.basename(source.folder ?? source.path);
}
