// The browser mode's file browser: one folder's entries, inside the allowed roots.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FileRoots } from './roots';

export interface BrowseEntry { name: string; path: string; kind: 'dir' | 'file'; size: number; modelLike: boolean }
export interface BrowseResult { dir: string; parent: string | null; roots: string[]; entries: BrowseEntry[] }

const MODEL_EXT = /\.(pt|pth|bin|ckpt|safetensors|onnx|json|yaml|yml)$/i;
const MAX_ENTRIES = 5000;

export async function browse(roots: FileRoots, dir?: string): Promise<BrowseResult> {
  const target = roots.resolve(dir ?? roots.list()[0]);
  const stat = await fs.stat(target);
  if (!stat.isDirectory()) throw new Error(`${target} is not a folder`);
  const dirents = await fs.readdir(target, { withFileTypes: true });
  const entries: BrowseEntry[] = [];
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue; // hidden files stay hidden, as in a native dialog
    const p = path.join(target, d.name);
    let isDir = d.isDirectory();
    let size = 0;
    try {
      const st = await fs.stat(p); // follows symlinks
      isDir = st.isDirectory();
      size = st.size;
    } catch {
      continue; // broken link or no permission
    }
    entries.push({ name: d.name, path: p, kind: isDir ? 'dir' : 'file', size, modelLike: !isDir && MODEL_EXT.test(d.name) });
    if (entries.length >= MAX_ENTRIES) break;
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  const list = roots.list();
  const parentDir = path.dirname(target);
  const parent = list.includes(target) || parentDir === target ? null : parentDir;
  return { dir: target, parent, roots: list, entries };
}
