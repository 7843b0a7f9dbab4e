// The legacy layout of torch.save (before PyTorch 1.6, or _use_new_zipfile_serialization=False):
// five pickles back to back (magic number, protocol 1001, sys info, the object, the storage keys),
// then each storage as an int64 element count and its raw bytes.
import type { FileHandle } from 'node:fs/promises';
import { DTYPE_SIZE } from '../../tensor/dtypes';
import { ModelFileError } from '../types';
import { readAt } from './read-at';
import { PickleFormatError, PickleRefusedError, PickleTruncatedError, unpickle } from './unpickle';
import { parseStoragePid } from './storages';
import { PyDict, type TorchStorage } from './python-values';
import { isLegacyMagic, LEGACY_MAGIC_NUMBER } from './layout';
import type { OpenedFile } from './opened-file';

export async function openLegacy(fh: FileHandle, size: number, path: string, maxPickle: number): Promise<OpenedFile> {
  const cap = Math.min(size, maxPickle);
  let window = Math.min(cap, 1 << 20);
  for (;;) {
    const buf = await readAt(fh, 0, window);
    try {
      return await parseLegacy(fh, size, path, buf);
    } catch (err) {
      if (err instanceof PickleTruncatedError && window < cap) {
        window = Math.min(cap, window * 4);
        continue;
      }
      throw err;
    }
  }
}

async function parseLegacy(fh: FileHandle, size: number, path: string, buf: Uint8Array): Promise<OpenedFile> {
  const noStorage = { persistentLoad: (): TorchStorage => { throw new PickleFormatError('storage reference outside the main object'); } };
  const notTorch = new ModelFileError(path, 'is neither a torch.save zip nor a legacy torch.save file (no PyTorch magic number)', 'pick a file written by torch.save');
  // Even the magic number goes through the restricted unpickler, so a bare payload is refused by name.
  let magic;
  try {
    magic = unpickle(buf, 0, noStorage);
  } catch (err) {
    if (err instanceof PickleRefusedError || isLegacyMagic(buf)) throw err;
    if (err instanceof PickleTruncatedError && buf.length < size) throw err; // read more and retry
    throw notTorch;
  }
  if (magic.value !== LEGACY_MAGIC_NUMBER) throw notTorch;
  const protocol = unpickle(buf, magic.end, noStorage);
  if (protocol.value !== 1001) throw new ModelFileError(path, `uses legacy protocol ${String(protocol.value)}, expected 1001`, 're-save it with a recent PyTorch');
  const sysInfo = unpickle(buf, protocol.end, noStorage);
  if (sysInfo.value instanceof PyDict && sysInfo.value.get('little_endian') === false) {
    throw new ModelFileError(path, 'was saved big-endian, which is not supported', 're-save it on a little-endian machine');
  }
  const roots = new Map<string, TorchStorage>();
  const views = new Map<string, TorchStorage>();
  const main = unpickle(buf, sysInfo.end, {
    persistentLoad(pid) {
      const { storage, view } = parseStoragePid(pid);
      const root = roots.get(storage.key) ?? storage;
      roots.set(storage.key, root);
      if (!view) return root;
      const known = views.get(view.key);
      if (known) return known;
      const v: TorchStorage = { ...root, numel: view.numel, elementOffset: view.offset };
      views.set(view.key, v);
      return v;
    },
  });
  const keys = unpickle(buf, main.end, noStorage);
  if (!Array.isArray(keys.value) || keys.value.some((k) => typeof k !== 'string')) {
    throw new ModelFileError(path, 'has a damaged storage list', 'copy or download the file again');
  }
  // Each storage follows as an int64 element count and its raw bytes, in the order of the key list.
  const spans = new Map<string, { offset: number; bytes: number }>();
  let p = keys.end;
  for (const key of keys.value as string[]) {
    const root = roots.get(key);
    if (!root) throw new ModelFileError(path, `lists storage ${key} that no tensor uses`, 'the file is damaged: copy or download it again');
    if (p + 8 > size) throw new ModelFileError(path, 'is truncated: storage data ends early', 'copy or download the file again');
    const header = await readAt(fh, p, 8);
    const numel = Number(header.readBigInt64LE(0));
    const bytes = numel * DTYPE_SIZE[root.dtype];
    if (numel < 0 || numel < root.numel || p + 8 + bytes > size) {
      throw new ModelFileError(path, `is truncated or damaged: storage ${key} claims ${numel} elements`, 'copy or download the file again');
    }
    spans.set(key, { offset: p + 8, bytes });
    p += 8 + bytes;
  }
  for (const key of roots.keys()) {
    if (!spans.has(key)) throw new ModelFileError(path, `has no data for storage ${key}`, 'the file is damaged: copy or download it again');
  }
  return {
    root: main.value,
    layout: 'legacy',
    extraMetadata: {},
    storageSource: (s) => {
      const span = spans.get(s.key) as { offset: number; bytes: number };
      return {
        byteLength: span.bytes,
        read: async (o, n, into) => {
          if (o < 0 || o + n > span.bytes) throw new Error(`read past the end of storage ${s.key}`);
          return readAt(fh, span.offset + o, n, into);
        },
        fileOffset: (o) => Promise.resolve(span.offset + o),
      };
    },
  };
}
