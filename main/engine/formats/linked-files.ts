// Files a model names beside itself (a sharded index's shards, an ONNX model's external data) must really lie
// in the model's folder: a shard that is a symlink to ~/.ssh/id_rsa would otherwise be read, and its bytes
// copied into every output. The rule compares real paths (links resolved): the file's real path lies inside
// the real folder of the index or model, or, in the Hugging Face cache layout, where every file of
// `<repo>/snapshots/<rev>/` is a link into `<repo>/blobs/`, inside that repo's blobs folder.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelFileError } from './types';

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * The `blobs` folder of the Hugging Face cache repo that `realDir` belongs to, when `realDir` is a snapshot
 * folder `<repo>/snapshots/<rev>` or a folder below one (`<rev>/onnx`); undefined elsewhere.
 */
export function hfCacheBlobs(realDir: string): string | undefined {
  for (let dir = realDir; ; dir = path.dirname(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    if (path.basename(parent) === 'snapshots') return path.join(path.dirname(parent), 'blobs');
  }
}

/** The folders a file named by `owner` may really lie in: the owner's real folder, and its HF cache blobs. */
export async function allowedFolders(owner: string): Promise<string[]> {
  const dir = await fs.realpath(path.dirname(path.resolve(owner)));
  const blobs = hfCacheBlobs(dir);
  if (!blobs) return [dir];
  const realBlobs = await fs.realpath(blobs).catch(() => undefined);
  return realBlobs ? [dir, realBlobs] : [dir];
}

/**
 * The real path of `linked`, a file that `owner` names (`what`: 'shard "x.safetensors"'), refused with a
 * ModelFileError when it lies outside the folders allowedFolders(owner) gives. Errors of realpath itself
 * (ENOENT: the file or a link's target is missing) are thrown as they are, for the caller to word.
 */
export async function realPathInModelFolder(owner: string, linked: string, what: string): Promise<string> {
  const real = await fs.realpath(linked);
  const folders = await allowedFolders(owner);
  if (folders.some((d) => isInside(real, d))) return real;
  throw new ModelFileError(owner, `names ${what}, which resolves (through links) to ${real}, outside the model's folder ${folders[0]}`,
    'files a model names must really lie in its folder (or, in the Hugging Face cache, in the repo\'s blobs/ folder); copy the file there instead of linking to it');
}
