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

export interface DatasetKind extends DatasetKindInfo {
  /** Option names this kind accepts; anything else in the spec is an error that lists these. */
  options: string[];
  /** Argument used when the spec gives none ("mnist" -> "train"). */
  defaultArgument?: string;
  /** Loads the dataset; `id` is the spec to record in the result. */
  load(argument: string, options: Record<string, string>, id: string, ctx: JobContext): Promise<Dataset>;
  /** For specs without "KIND:": does this bare path look like ours? */
  detect?(path: string): boolean;
}
