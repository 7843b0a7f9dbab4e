// What each torch.save layout hands back once its headers and pickle are read.
import type { StorageBytes } from './tensor-view';
import type { PyValue, TorchStorage } from './python-values';

export interface OpenedFile {
  /** The unpickled top-level object (a state dict, a checkpoint dict, …). */
  root: PyValue;
  /** Where each storage's bytes are. */
  storageSource(s: TorchStorage): StorageBytes;
  layout: 'zip' | 'legacy';
  extraMetadata: Record<string, string>;
  /** Checks the records of these storages against the file's checksums (zip CRC-32); problems in words. */
  verifyStorages?(keys: Set<string>): Promise<string[]>;
}

/** Largest ratio of inflated to deflated size accepted for a zip record (bigger is a bomb). */
export const MAX_ZIP_RATIO = 200;
