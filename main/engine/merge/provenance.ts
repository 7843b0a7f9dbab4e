// Provenance the merged file carries in its metadata: the method, the recipe, and each parent's hash, so a
// merged model says what it was made from.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import pkg from '../../../package.json';
import type { FileHash } from './hashing';
import { findMethod } from './methods';
import type { ResolvedRecipe } from './recipe';

/** Metadata keys the output carries (provenance). */
export const METADATA_KEYS = {
  recipe: 'merge_studio.recipe',
  parents: 'merge_studio.parents',
  method: 'merge_studio.method',
  /** What a re-run needs beyond the recipe (`merge-studio verify`): RerunRecord as JSON. */
  rerun: 'merge_studio.rerun',
} as const;

/**
 * What the output records beyond the recipe for a re-run to give the same bytes: the method's parameters
 * with their defaults filled in (a default changed later must not change a re-run), the seeds (DARE/DELLA
 * drops, the alignment's group order) and the app's version.
 */
export interface RerunRecord {
  app: string;
  parameters: Record<string, unknown>;
  seeds: { merge?: number; align?: number };
}

export interface ParentRecord {
  role: 'model' | 'base';
  path: string;
  name: string;
  sha256: string;
  bytes: number;
}

/** The re-run record of a recipe: its method's parameters with defaults, its seeds, the app's version. */
export function rerunRecord(r: ResolvedRecipe): RerunRecord {
  const checked = findMethod(r.method)?.params.safeParse(r.parameters);
  const parameters: Record<string, unknown> = checked?.success ? { ...checked.data } : { ...r.parameters };
  const seeds: RerunRecord['seeds'] = {};
  if (typeof parameters.seed === 'number') seeds.merge = parameters.seed;
  // weight matching's group order: align/weight-matching.ts seeds it with 0 unless told
  if (r.recipe.align) seeds.align = r.recipe.align.seed ?? 0;
  return { app: pkg.version, parameters, seeds };
}

/** The parents of one merge: the models' files, then the base's; what the output records about them. */
export class Provenance {
  constructor(
    private readonly method: string,
    private readonly recipeYaml: string,
    /** Models first, then the base. */
    private readonly files: readonly string[],
    private readonly modelCount: number,
    /** Recorded under METADATA_KEYS.rerun when given. */
    private readonly rerun?: RerunRecord,
  ) {}

  /** The parents' records from their hashes, by index (as `files`). */
  records(hashes: readonly FileHash[]): ParentRecord[] {
    return this.files.map((p, i) => ({
      role: i < this.modelCount ? 'model' : 'base', path: p, name: path.basename(p), sha256: hashes[i].sha256, bytes: hashes[i].bytes,
    }));
  }

  metadata(records: readonly ParentRecord[]): Record<string, string> {
    return {
      [METADATA_KEYS.method]: this.method,
      [METADATA_KEYS.recipe]: this.recipeYaml,
      [METADATA_KEYS.parents]: JSON.stringify(records.map(({ role, name, sha256, bytes }) => ({ role, name, sha256, bytes }))),
      ...(this.rerun ? { [METADATA_KEYS.rerun]: JSON.stringify(this.rerun) } : {}),
    };
  }

  /**
   * Metadata of the same length as the final one, for a writer that takes the real one at finish(): the
   * parents' sizes with placeholder hashes.
   */
  async placeholderMetadata(): Promise<Record<string, string>> {
    const sizes = await Promise.all(this.files.map(async (p) => (await stat(p)).size));
    return this.metadata(this.records(sizes.map((bytes) => ({ file: '', sha256: '0'.repeat(64), bytes }))));
  }
}
