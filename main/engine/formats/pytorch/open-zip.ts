// The zip layout of torch.save (PyTorch 1.6+): <folder>/data.pkl, <folder>/data/<key> per storage,
// <folder>/version, and since 2.x <folder>/byteorder. Any folder name is accepted.
import type { FileHandle } from 'node:fs/promises';
import { ModelFileError } from '../types';
import { ZipArchive, type ZipEntry } from './zip';
import { unpickle } from './unpickle';
import { parseStoragePid, storageBytes } from './storages';
import type { TorchStorage } from './python-values';
import { METADATA_RECORD } from './layout';
import { MAX_ZIP_RATIO, type OpenedFile } from './opened-file';
import { InflatedRecords, type Inflation } from './inflated-records';

export async function openZip(fh: FileHandle, size: number, path: string, maxPickle: number): Promise<OpenedFile> {
  const zip = await ZipArchive.open(fh, size, { maxInflateBytes: maxPickle, maxRatio: MAX_ZIP_RATIO });
  // torch names the top folder after the file ('archive' since 2.x); accept any single folder.
  const pkl = zip.entries.find((e) => /^[^/]*\/data\.pkl$/.test(e.name)) ?? zip.find('data.pkl');
  if (!pkl) throw new ModelFileError(path, 'is a zip archive without a data.pkl record, so not a torch.save file', 'pick the .pt/.pth file written by torch.save');
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byteorder = zip.find(`${prefix}byteorder`);
  if (byteorder && byteorder.size < 16) {
    const order = Buffer.from(await zip.read(byteorder)).toString('latin1').trim();
    if (order !== 'little') throw new ModelFileError(path, `was saved ${order}-endian, which is not supported`, 're-save it on a little-endian machine');
  }
  const pickle = await zip.read(pkl, maxPickle);
  const records = new Map<string, TorchStorage>();
  const { value } = unpickle(pickle, 0, {
    persistentLoad(pid) {
      const { storage } = parseStoragePid(pid);
      const known = records.get(storage.key);
      if (known) return known;
      records.set(storage.key, storage);
      return storage;
    },
  });
  const entryOf = new Map<string, ZipEntry>();
  const inflated = new InflatedRecords(zip);
  const inflation = new Map<string, Inflation>();
  for (const s of records.values()) {
    const entry = zip.find(`${prefix}data/${s.key}`);
    if (!entry) throw new ModelFileError(path, `names storage ${s.key} but has no record data/${s.key}`, 'the archive is incomplete: copy or download it again');
    if (entry.size < storageBytes(s)) {
      throw new ModelFileError(path, `record data/${s.key} holds ${entry.size} bytes but its storage needs ${storageBytes(s)}`, 'the archive is damaged: copy or download it again');
    }
    entryOf.set(s.key, entry);
    if (entry.method !== 0) inflation.set(s.key, inflated.plan(entry, storageBytes(s)));
  }
  const extraMetadata: Record<string, string> = {};
  const meta = zip.find(`${prefix}${METADATA_RECORD}`);
  if (meta && meta.size < 1 << 20) {
    try {
      const parsed = JSON.parse(Buffer.from(await zip.read(meta)).toString('utf8')) as unknown;
      if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string' && k !== '__proto__') extraMetadata[k] = v;
      }
    } catch { /* metadata is a courtesy; a damaged one is ignored */ }
  }
  return {
    root: value,
    layout: 'zip',
    extraMetadata,
    verifyStorages: async (keys) => {
      const problems: string[] = [];
      for (const [key, entry] of entryOf) {
        if (!keys.has(key)) continue;
        const problem = await zip.verify(entry);
        if (problem) problems.push(problem);
      }
      return problems;
    },
    storageSource: (s) => {
      const entry = entryOf.get(s.key) as ZipEntry;
      if (entry.method !== 0) {
        return { byteLength: entry.size, read: (o, n, into) => inflated.read(entry, o, n, into), inflation: inflation.get(s.key) };
      }
      return {
        byteLength: entry.size,
        read: (o, n, into) => zip.readRange(entry, o, n, into),
        fileOffset: async (o) => (await zip.dataOffset(entry)) + o,
      };
    },
  };
}
