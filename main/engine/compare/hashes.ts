// SHA-256 of the files a comparison read, so that every number can be traced to its inputs; unchanged files
// reuse the workspace's hash cache (merge/hash-cache.ts).
import { FileHashCache } from '../merge/hash-cache';
import { hashFiles } from '../merge/hashing';
import type { InputFile } from './types';

export async function hashInputs(files: string[], workspace: string | undefined, signal?: AbortSignal): Promise<InputFile[]> {
  const unique = [...new Set(files)];
  const cache = workspace ? FileHashCache.inWorkspace(workspace) : undefined;
  const looked = cache ? await cache.lookupAll(unique) : unique.map(() => ({}) as { hash?: undefined; identity?: undefined });
  const missing = unique.filter((_, i) => !looked[i].hash);
  const fresh = new Map((await hashFiles(missing, signal)).map((h) => [h.file, h]));
  await cache?.remember(unique.flatMap((f, i) => (looked[i].hash ? [] : [{ hash: fresh.get(f)!, before: looked[i].identity }])));
  return unique.map((f, i) => {
    const h = looked[i].hash ?? fresh.get(f)!;
    return { path: f, sha256: h.sha256, bytes: h.bytes };
  });
}
