// Turning a persistent id from the pickle into a TorchStorage, the same way for both layouts.
import { DTYPE_SIZE } from '../../tensor/dtypes';
import { PickleFormatError } from './unpickle';
import { asInt, PyGlobal, type PyTuple, type TorchStorage } from './python-values';

/** ('storage', StorageClass, key, location, numel[, view_metadata]) -> its parts, checked. */
export function parseStoragePid(pid: PyTuple): { storage: TorchStorage; view: { key: string; offset: number; numel: number } | null } {
  const [, cls, key, location, numel, viewMeta] = pid.items;
  if (!(cls instanceof PyGlobal) || cls.kind.type !== 'storage-class') throw new PickleFormatError('persistent id does not name a storage class');
  if (cls.kind.dtype === null) {
    throw new PickleFormatError(cls.kind.unsupported ? `tensors stored as ${cls.kind.unsupported} are not supported` : `${cls.fullName} carries no element type`);
  }
  const n = asInt(numel ?? null);
  if (typeof key !== 'string' && typeof key !== 'number') throw new PickleFormatError('storage key is not a string');
  if (n === null || n < 0) throw new PickleFormatError(`storage ${key} has no valid element count`);
  const storage: TorchStorage = {
    kind: 'storage', key: String(key), dtype: cls.kind.dtype, numel: n, elementOffset: 0,
    location: typeof location === 'string' ? location : 'cpu',
  };
  let view: { key: string; offset: number; numel: number } | null = null;
  if (viewMeta !== undefined && viewMeta !== null) {
    const items = (viewMeta as PyTuple).items;
    const vOff = asInt(items?.[1] ?? null);
    const vNum = asInt(items?.[2] ?? null);
    if (!items || vOff === null || vNum === null || vOff < 0 || vNum < 0 || vOff + vNum > n) {
      throw new PickleFormatError(`storage view metadata of ${key} is malformed`);
    }
    view = { key: String(items[0]), offset: vOff, numel: vNum };
  }
  return { storage, view };
}

export function storageBytes(s: TorchStorage): number {
  return s.numel * DTYPE_SIZE[s.dtype];
}
