// The Python values our restricted unpickler builds, as plain JS data. Nothing here can run code:
// a global is only ever a name from the allowlist, never a function looked up from the file.
import type { DType } from '../../tensor/dtypes';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** dict / OrderedDict / Counter: insertion-ordered, keyed by Python equality of hashable keys. */
export class PyDict {
  private readonly index = new Map<string, number>();
  readonly entries: { key: PyValue; value: PyValue }[] = [];
  /** Attributes set by BUILD (an OrderedDict's `_metadata`); kept, never interpreted. */
  attrs: PyValue = null;
  constructor(readonly kind: 'dict' | 'OrderedDict' | 'Counter' = 'dict') {}

  set(key: PyValue, value: PyValue): void {
    const k = hashKey(key);
    const at = this.index.get(k);
    if (at === undefined) {
      this.index.set(k, this.entries.length);
      this.entries.push({ key, value });
    } else this.entries[at].value = value;
  }
  get(key: PyValue): PyValue | undefined {
    const at = this.index.get(hashKey(key));
    return at === undefined ? undefined : this.entries[at].value;
  }
  get size(): number {
    return this.entries.length;
  }
}

export class PySet {
  constructor(readonly items: PyValue[]) {}
}

/** A name from the allowlist (a class, a dtype, a rebuild function); `kind` says what it is. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly kind: GlobalKind,
  ) {}
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}
export type GlobalKind =
  | { type: 'dict-class'; dict: 'OrderedDict' | 'Counter' }
  | { type: 'parameter-class' }
  | { type: 'tensor-class' }
  | { type: 'storage-class'; dtype: DType | null; unsupported?: string }
  | { type: 'dtype'; dtype: DType | null; unsupported?: string }
  | { type: 'rebuild'; fn: string }
  | { type: 'size' }
  | { type: 'device' }
  | { type: 'layout' }
  | { type: 'codecs-encode' }
  | { type: 'bytearray' }
  | { type: 'set' }
  | { type: 'complex' }
  | { type: 'constant' };

/** A storage named by a persistent id: which record holds its bytes, and its element type. */
export interface TorchStorage {
  readonly kind: 'storage';
  /** Record key (zip: `data/<key>`; legacy: the root key). */
  key: string;
  dtype: DType;
  /** Elements in the storage as declared by the file. */
  numel: number;
  /** Legacy storage views start this many elements into their root storage. */
  elementOffset: number;
  location: string;
}

/** A tensor as a view of a storage: offset and strides in elements, like torch. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly dtype: DType,
  ) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | TorchStorage
  | TorchTensor;

/** Python's equality for hashable keys: 1 == 1.0 == True, tuples by content. */
export function hashKey(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return `n${v ? 1 : 0}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'string') return `s${v}`;
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('hex')}`;
  if (v instanceof PyTuple) return `t(${v.items.map(hashKey).join(',')})`;
  if (v instanceof PyGlobal) return `g${v.fullName}`;
  throw new Error(`unhashable ${describeValue(v)} used as a dict key`);
}

export function describeValue(v: PyValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.kind;
  if (v instanceof PySet) return 'set';
  if (v instanceof PyGlobal) return v.fullName;
  if (v instanceof TorchTensor) return 'tensor';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object' && v.kind === 'storage') return 'storage';
  return typeof v === 'bigint' ? 'int' : typeof v;
}

export function isStorage(v: PyValue | undefined): v is TorchStorage {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as TorchStorage).kind === 'storage';
}

/** A Python int as a JS number, when it is one that fits. */
export function asInt(v: PyValue | undefined): number | null {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
  return null;
}
