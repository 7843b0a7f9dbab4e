// How the merge reaches files: opening models and choosing a writer. The executor and the pre-flight take
// this as a parameter so tests can hand in in-memory models or a writer that fails like a full disk.
import { openModel, writerFor } from './registry';
import type { FormatWriter, ModelSource } from './types';

export interface MergeIO {
  openModel(path: string): Promise<ModelSource>;
  writerFor(path: string): FormatWriter;
}

/** The real files, through the format registry. */
export const registryIO: MergeIO = { openModel: (p) => openModel(p), writerFor: (p) => writerFor(p) };
