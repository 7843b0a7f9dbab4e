// Which folders the engine may read from when a browser (not a native dialog) chooses files: the user's
// home and folders they add (`merge-studio serve --allow DIR`). Symlinks are resolved before the check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class FileRoots {
  private readonly roots: string[];

  constructor(extra: string[] = [], home = os.homedir()) {
    this.roots = [...new Set([home, ...extra].map((r) => realPathOf(path.resolve(r))))];
  }

  list(): string[] {
    return [...this.roots];
  }

  /** The real path of `p` if it lies inside a root (a path that does not exist yet is judged by its nearest existing folder). */
  resolve(p: string): string {
    const abs = path.resolve(p);
    const real = realPathOf(abs);
    if (!this.roots.some((r) => real === r || real.startsWith(r + path.sep))) {
      throw new Error(`${abs} is outside the folders this app may use (${this.roots.join(', ')}); start the server with --allow FOLDER to add one`);
    }
    return real;
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
