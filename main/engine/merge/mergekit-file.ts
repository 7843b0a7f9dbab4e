// mergekit configs as files: read with a size cap, and model paths made to work from where the result is
// read (a config's paths are relative to it; a recipe's to its own folder).
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Recipe } from './recipe';

/** A config is a small text file; anything bigger is not one. */
export const MAX_CONFIG_BYTES = 1 << 20;

export async function readConfigFile(file: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_CONFIG_BYTES) throw new Error(`${file} is ${size} bytes; a mergekit config is a small YAML file (at most ${MAX_CONFIG_BYTES})`);
  return readFile(file, 'utf8');
}

/**
 * A model path relative to `from` that names a file there, made relative to `to` (where the written file
 * will be read from), or absolute when it lies outside `to` (or `to` is undefined); anything else (a
 * Hugging Face id, an absolute path) as it is.
 */
export function rebasePath(p: string, from: string, to?: string): string {
  if (path.isAbsolute(p) || !existsSync(path.resolve(from, p))) return p;
  const abs = path.resolve(from, p);
  if (to === undefined) return abs;
  const rel = path.relative(to, abs);
  return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
}

export function rebaseRecipe(r: Recipe, from: string, to?: string): Recipe {
  return {
    ...r,
    ...(r.models ? { models: r.models.map((m) => ({ ...m, path: rebasePath(m.path, from, to) })) } : {}),
    ...(r.base ? { base: rebasePath(r.base, from, to) } : {}),
    ...(typeof r.output?.tokenizer === 'object' ? { output: { ...r.output, tokenizer: { path: rebasePath(r.output.tokenizer.path, from, to) } } } : {}),
  };
}
