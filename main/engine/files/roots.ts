// Which folders the engine may read and write when a path comes from the UI: the user's home, the
// workspace, and folders they add — `merge-studio serve --allow DIR` in a browser; in the desktop app the
// folders they picked in a native dialog or dropped files from. Symlinks are resolved before the check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class FileRoots {
  private readonly roots: string[];

  /** `howToAdd`: what the refusal tells the user to do to allow another folder. */
  constructor(extra: string[] = [], home = os.homedir(), private readonly howToAdd = 'start the server with --allow FOLDER to add one') {
    this.roots = [...new Set([home, ...extra].map((r) => realPathOf(path.resolve(r))))];
  }

  /** Allows `dir` too (a folder the user picked in a native dialog). */
  add(dir: string): void {
    const real = realPathOf(path.resolve(dir));
    if (!this.roots.includes(real)) this.roots.push(real);
  }

  list(): string[] {
    return [...this.roots];
  }

  /**
   * `p` with its folder's real path, if `p` lies inside a root by real path (a path that does not exist yet is
   * judged by its nearest existing folder). The file's own name is kept: a model file that is a link (a Hugging
   * Face snapshot's `snapshots/REV/model.safetensors.index.json` → `../../blobs/…`) must still find its shards
   * beside the link, not beside its target; the target's real path has passed the same check.
   */
  resolve(p: string): string {
    const abs = path.resolve(p);
    const real = realPathOf(abs);
    if (!this.inside(real)) {
      // A link inside that leads out is named as the link: where it leads is not the page's business.
      const how = this.inside(abs) ? 'leads through a symbolic link to a place' : 'is';
      throw new Error(`${abs} ${how} outside the folders this app may use (${this.roots.join(', ')}); ${this.howToAdd}`);
    }
    const folder = path.dirname(abs);
    if (folder === abs) return real;
    const kept = path.join(realPathOf(folder), path.basename(abs));
    return this.inside(kept) ? kept : real;
  }

  private inside(p: string): boolean {
    return this.roots.some((r) => p === r || p.startsWith(r + path.sep));
  }
}

export function rootsFromEnv(): string[] {
  return (process.env.MERGE_STUDIO_ROOTS ?? '').split(path.delimiter).filter(Boolean);
}

/** realpath of the nearest existing ancestor, with the not-yet-existing rest appended. */
function realPathOf(abs: string): string {
  let existing = abs;
  const rest: string[] = [];
  while (!fs.existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  return path.join(fs.existsSync(existing) ? fs.realpathSync(existing) : existing, ...rest);
}
