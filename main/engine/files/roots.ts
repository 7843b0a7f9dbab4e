// Which folders the engine may read from when a browser (not a native dialog) chooses files: the user's
// home and folders they add (`merge-studio serve --allow DIR`). Symlinks are resolved before the check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class FileRoots {
  private readonly roots: string[];

  constructor(extra: string[] = [], home = os.homedir()) {
    this.roots = [...new Set([home, ...extra].map((r) => path.resolve(r)).filter((r) => fs.existsSync(r)).map((r) => fs.realpathSync(r)))];
  }

  list(): string[] {
    return [...this.roots];
  }

  /** The real path of `p` if it lies inside a root (for a path that does not exist yet, its folder must). */
  resolve(p: string): string {
    const abs = path.resolve(p);
    let real: string;
    if (fs.existsSync(abs)) real = fs.realpathSync(abs);
    else {
      const dir = path.dirname(abs);
      if (!fs.existsSync(dir)) throw new Error(`${abs}: folder ${dir} does not exist`);
      real = path.join(fs.realpathSync(dir), path.basename(abs));
    }
    if (!this.roots.some((r) => real === r || real.startsWith(r + path.sep))) {
      throw new Error(`${abs} is outside the folders this app may use (${this.roots.join(', ')}); start the server with --allow FOLDER to add one`);
    }
    return real;
  }
}

export function rootsFromEnv(): string[] {
  return (process.env.MERGE_STUDIO_ROOTS ?? '').split(path.delimiter).filter(Boolean);
}
