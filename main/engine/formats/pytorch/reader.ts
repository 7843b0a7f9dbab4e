// Opens torch.save files: the zip layout (any top-level folder) and the legacy pre-1.6 layout.
// Only headers and the pickle are read on open; each tensor's bytes are fetched on read().
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { DTYPE_SIZE, numElements } from '../../tensor/dtypes';
import { ModelFileError, type FormatReader, type ModelSource, type OpenOptions, type TensorInfo } from '../types';
import { ZipFormatError } from './zip';
import { readAt, ShortReadError } from './read-at';
import { PickleFormatError, PickleRefusedError, PickleTruncatedError } from './unpickle';
import { storageBytes } from './storages';
import { describeRoot, extractStateDict, tiedGroups, type NamedTensor } from './state-dict';
import { readView, readViewSpan, viewProblem } from './tensor-view';
import { isLegacyMagic, isTorchZipHead, isZipHead, looksLikePickle } from './layout';
import { openZip } from './open-zip';
import { openLegacy } from './open-legacy';
import type { OpenedFile } from './opened-file';
import { expansionProblem, MAX_EXPANSION_ENV, maxExpansionRatio, measureExpansion } from './expansion';

/** data.pkl of even a 100k-tensor model is a few MB; a bigger one is refused before it is read. */
const DEFAULT_MAX_PICKLE_BYTES = 64 << 20;

export const pytorchReader: FormatReader = {
  id: 'pytorch',
  label: 'PyTorch checkpoint',
  extensions: ['.pt', '.pth', '.bin', '.ckpt'],
  sniff: (head, path) => {
    const ours = /\.(pt|pth|bin|ckpt)$/i.test(path);
    return isTorchZipHead(head) || isLegacyMagic(head) ||
      // a zip re-packed with data.pkl not first: trust the extension
      (isZipHead(head) && ours && !/\.bin$/i.test(path)) ||
      looksLikePickle(head, ours);
  },
  open: openPytorch,
};

export async function openPytorch(path: string, options: OpenOptions = {}): Promise<ModelSource> {
  const maxPickle = options.maxHeaderBytes ?? DEFAULT_MAX_PICKLE_BYTES;
  const maxExpansion = maxExpansionRatio(); // a malformed override is the user's setting, not the file's fault
  let fh: FileHandle;
  try {
    fh = await openFile(path, 'r');
  } catch (err) {
    throw new ModelFileError(path, `cannot be opened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'check the path and your permission to read it');
  }
  try {
    const size = (await fh.stat()).size;
    if (size === 0) throw new ModelFileError(path, 'is empty', 'pick the saved model file, not a placeholder');
    const head = await readAt(fh, 0, Math.min(size, 512));
    if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
      throw new ModelFileError(path, 'is a pre-0.4 PyTorch tar archive, which is not supported', 'load it in an older PyTorch and re-save it with torch.save');
    }
    const opened = head[0] === 0x50 && head[1] === 0x4b
      ? await openZip(fh, size, path, maxPickle)
      : await openLegacy(fh, size, path, maxPickle);
    return buildSource(path, fh, opened, { size, maxExpansion });
  } catch (err) {
    await fh.close().catch(() => {});
    throw toModelFileError(path, err);
  }
}

function toModelFileError(path: string, err: unknown): ModelFileError {
  if (err instanceof ModelFileError) return err;
  if (err instanceof PickleRefusedError) {
    return new ModelFileError(path, `${err.message}: the file's pickle would call code that a weights file never needs; nothing from it was run`,
      'only if you trust its source: load it in Python with torch.load(weights_only=False) and re-save model.state_dict()');
  }
  if (err instanceof PickleTruncatedError || err instanceof ShortReadError) return new ModelFileError(path, `is truncated: ${err.message}`, 'copy or download the file again');
  if (err instanceof ZipFormatError) return new ModelFileError(path, `is not a readable PyTorch zip: ${err.message}`, 'copy or download the file again, or re-save it with torch.save');
  if (err instanceof PickleFormatError) return new ModelFileError(path, `holds a pickle we cannot load as weights: ${err.message}`, 're-save just the state dict with torch.save(model.state_dict(), path)');
  return new ModelFileError(path, `is not a readable PyTorch file: ${(err as Error)?.message ?? String(err)}`, 'check that it was written by torch.save');
}

// --- the ModelSource ------------------------------------------------------------------------------

function buildSource(path: string, fh: FileHandle, opened: OpenedFile, file: { size: number; maxExpansion: number }): ModelSource {
  const { tensors: named, notes, metadata } = extractStateDict(opened.root);
  if (!named.length) {
    throw new ModelFileError(path, `holds no tensors (it contains ${describeRoot(opened.root)})`, 'save the model with torch.save(model.state_dict(), path)');
  }
  const seen = new Set<string>();
  for (const { name, tensor } of named) {
    if (seen.has(name)) throw new ModelFileError(path, `has two tensors named ${name}`, 're-save the state dict');
    seen.add(name);
    const src = opened.storageSource(tensor.storage);
    const problem = viewProblem(tensor, Math.min(src.byteLength, storageBytes(tensor.storage) + tensor.storage.elementOffset * DTYPE_SIZE[tensor.storage.dtype]));
    if (problem) throw new ModelFileError(path, `tensor ${name}: ${problem}`, 'the file is damaged: copy or download it again');
  }
  const tooFar = expansionProblem(file.size, measureExpansion(named, (s) => opened.storageSource(s)), file.maxExpansion);
  if (tooFar) {
    throw new ModelFileError(path, tooFar,
      `nothing was read or written; if you trust the file and need it whole, allow more with ${MAX_EXPANSION_ENV}=<ratio> (now ${file.maxExpansion})`);
  }
  const tied = tiedGroups(named, notes);
  const tensors: TensorInfo[] = named.map(({ name, tensor }: NamedTensor) => ({
    name,
    dtype: tensor.dtype,
    shape: tensor.shape,
    byteLength: numElements(tensor.shape) * DTYPE_SIZE[tensor.dtype],
    read: async () => {
      try {
        return await readView(tensor, opened.storageSource(tensor.storage));
      } catch (err) {
        throw toModelFileError(path, err);
      }
    },
    readSpan: async (into?: Uint8Array) => {
      try {
        return await readViewSpan(tensor, opened.storageSource(tensor.storage), into);
      } catch (err) {
        throw toModelFileError(path, err);
      }
    },
  }));
  let closed = false;
  return {
    path,
    format: 'pytorch',
    metadata: { ...opened.extraMetadata, ...metadata, 'pytorch.layout': opened.layout },
    tensors,
    tied,
    notes,
    // Sizes were checked on open (each record holds its storage); the data check is the records' CRC-32.
    verify: async ({ data, tensors }) => {
      if (!data || !opened.verifyStorages) return [];
      const wanted = tensors ? new Set(tensors) : undefined;
      const byKey = new Map<string, string[]>();
      for (const { name, tensor } of named) {
        if (wanted && !wanted.has(name)) continue;
        byKey.set(tensor.storage.key, [...(byKey.get(tensor.storage.key) ?? []), name]);
      }
      try {
        const problems = await opened.verifyStorages(new Set(byKey.keys()));
        return problems.map((p) => {
          const key = /data\/([^ ]+) /.exec(p)?.[1];
          const names = key ? byKey.get(key) : undefined;
          return `${p}${names ? `; it holds ${names.map((n) => `"${n}"`).join(', ')}` : ''}`;
        });
      } catch (err) {
        return [toModelFileError(path, err).problem];
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}
