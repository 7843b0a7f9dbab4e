// Provenance the merged file carries in its metadata: the method, the recipe, and each parent's hash, so a
// merged model says what it was made from.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileHash } from './hashing';

/** Metadata keys the output carries (provenance). */
export const METADATA_KEYS = {
  recipe: 'merge_studio.recipe',
  parents: 'merge_studio.parents',
  method: 'merge_studio.method',
} as const;

export interface ParentRecord {
  role: 'model' | 'base';
  path: string;
  name: string;
  sha256: string;
  bytes: number;
}

/** The parents of one merge: the models' files, then the base's; what the output records about them. */
export class Provenance {
  constructor(
    private readonly method: string,
    private readonly recipeYaml: string,
    /** Models first, then the base. */
    private readonly files: readonly string[],
    private readonly modelCount: number,
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
