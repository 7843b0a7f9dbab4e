// Outputs never replace a file that exists unless the user said so: a second merge with the same name
// silently overwrote the first, and the first run's recorded SHA-256 then no longer matched its file. Checked
// before any work starts; the default outputs go into the run's own new folder, where nothing exists yet.
import { existsSync, readdirSync, statSync } from 'node:fs';

/** How the ways in let the user say "replace it" (the CLI's flag; the app asks), for the error's last words. */
export const OVERWRITE_HINT = 'choose another path, or allow replacing it (--overwrite)';
/** A merge's: its recipe key, and the default that never collides. */
export const RECIPE_OVERWRITE_HINT = 'choose another path, leave output.path out to write into the run\'s own folder, or allow replacing it (output.overwrite: true in the recipe, --overwrite on the command line)';

export class OutputExistsError extends Error {
  constructor(readonly paths: string[], hint = OVERWRITE_HINT) {
    super(`${paths.length === 1 ? `${paths[0]} exists` : `${paths.join(', ')} exist`}; nothing was replaced: ${hint}`);
    this.name = 'OutputExistsError';
  }
}

/** The files of `files` that exist (a folder that exists counts when it is not empty). */
export function existingOutputs(files: string[]): string[] {
  return files.filter((f) => {
    if (!existsSync(f)) return false;
    try {
      return !statSync(f).isDirectory() || readdirSync(f).length > 0;
    } catch {
      return true;
    }
  });
}

/** Throws OutputExistsError when any of `files` exists and `overwrite` is not set. */
export function refuseExisting(files: string[], overwrite: boolean | undefined, hint?: string): void {
  if (overwrite) return;
  const found = existingOutputs(files);
  if (found.length) throw new OutputExistsError(found, hint);
}
