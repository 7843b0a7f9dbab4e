// What one dataset kind (mnist, idx, imagefolder, csv, ...) provides to the registry.
import type { JobContext } from '../job-context';
import type { Dataset } from './types';

export interface DatasetKindInfo {
  name: string;
  /** One line for pickers and `--help`. */
  summary: string;
  /** The spec grammar, e.g. "idx:IMAGES,LABELS | idx:FOLDER[?split=train|test]". */
  usage: string;
  /** Ready-made datasets of this kind (mnist's splits); empty for kinds that need a path. */
  builtins: { spec: string; description: string }[];
}

/** Judges a path a request names: returns its real path, or throws when it lies outside the allowed folders. */
export type PathCheck = (p: string) => string;

export interface DatasetKind extends DatasetKindInfo {
  /** Option names this kind accepts; anything else in the spec is an error that lists these. */
  options: string[];
  /** Argument used when the spec gives none ("mnist" -> "train"). */
  defaultArgument?: string;
  /** Loads the dataset; `id` is the spec to record in the result. */
  load(argument: string, options: Record<string, string>, id: string, ctx: JobContext): Promise<Dataset>;
  /**
   * Every file and folder `load` would read for this argument, each passed through `check` before this looks
   * inside it (so nothing outside the allowed folders is even listed); returns their real paths. Absent for
   * kinds that read no user path (mnist).
   */
  paths?(argument: string, options: Record<string, string>, check: PathCheck): string[];
  /** For specs without "KIND:": does this bare path look like ours? */
  detect?(path: string): boolean;
}
