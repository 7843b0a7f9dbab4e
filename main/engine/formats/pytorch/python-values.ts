// The Python values our restricted unpickler builds, as plain JS data. Nothing here can run code:
// a global is only ever a name from the allowlist, never a function looked up from the file.
import { createHash } from 'node:crypto';
import type { DType } from '../../tensor/dtypes';

export class PyTuple {
  /** Levels of tuples in this one, itself included: how deep hashing it as a dict key recurses. */
  readonly depth: number;
  constructor(readonly items: PyValue[]) {
    let inner = 0;
    for (const x of items) if (x instanceof PyTuple && x.depth > inner) inner = x.depth;
    this.depth = inner + 1;
  }
}

/** dict / OrderedDict / Counter: insertion-ordered, keyed by Python equality of hashable keys. */
export class PyDict {
  // Strings and numbers key the map as themselves (a string read once from the pickle and reused through
  // the memo keeps its hash), tuples, bytes and globals by their memoised digest in a map of their own.
  private readonly byPlain = new Map<PlainKey, number>();
  private readonly byComposite = new Map<PlainKey, number>();
  readonly entries: { key: PyValue; value: PyValue }[] = [];
  /** Attributes set by BUILD (an OrderedDict's `_metadata`); kept, never interpreted. */
  attrs: PyValue = null;
  constructor(readonly kind: 'dict' | 'OrderedDict' | 'Counter' = 'dict') {}

  set(key: PyValue, value: PyValue): void {
    const index = this.indexFor(key);
    const k = dictKey(key);
    const at = index.get(k);
    if (at === undefined) {
      index.set(k, this.entries.length);
      this.entries.push({ key, value });
    } else this.entries[at].value = value;
  }
  get(key: PyValue): PyValue | undefined {
    const at = this.indexFor(key).get(dictKey(key));
    return at === undefined ? undefined : this.entries[at].value;
  }
  get size(): number {
    return this.entries.length;
  }
  private indexFor(key: PyValue): Map<PlainKey, number> {
    return isPlainKey(key) ? this.byPlain : this.byComposite;
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

type PlainKey = string | number | bigint | null;

function isPlainKey(v: PyValue): v is string | number | bigint | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean';
}

/** Python's equality for hashable keys: 1 == 1.0 == True, 2**60 == 2.0**60, tuples by content. */
function dictKey(v: PyValue): PlainKey {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') {
    const n = Number(v);
    return Number.isFinite(n) && BigInt(n) === v ? n : v;
  }
  if (v === null || typeof v === 'string' || typeof v === 'number') return v;
  return hashKey(v);
}

/** Longer key texts are replaced by their SHA-256, so a key nested in many tuples is never copied whole. */
const DIGEST_OVER = 128;
const composedKey = new WeakMap<object, string>();
/** Long strings met inside tuple keys during one unpickling; the unpickler empties it when done. */
const longTextKey = new Map<string, string>();

export function forgetLongKeyTexts(): void {
  longTextKey.clear();
}

function digest(text: string): string {
  return `#${createHash('sha256').update(text).digest('base64')}`;
}

/**
 * A key's text: equal for keys Python finds equal, different otherwise (up to SHA-256 collisions). Each
 * tuple and bytes object is keyed once (memoised), so a pickle that nests one shared tuple in itself many
 * times over costs its object count, not the size of the tree it spells out.
 */
export function hashKey(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return `n${v ? 1 : 0}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'string') {
    if (v.length <= DIGEST_OVER) return `s${v}`;
    let known = longTextKey.get(v);
    if (known === undefined) {
      known = `s${digest(v)}`;
      longTextKey.set(v, known);
    }
    return known;
  }
  if (v instanceof PyGlobal) return `g${v.fullName}`;
  if (v instanceof PyTuple || v instanceof Uint8Array) {
    const known = composedKey.get(v);
    if (known !== undefined) return known;
    const text = v instanceof PyTuple ? `t(${v.items.map(hashKey).join(',')})` : `b${Buffer.from(v).toString('hex')}`;
    const key = text.length <= DIGEST_OVER ? text : `${text[0]}${digest(text)}`;
    composedKey.set(v, key);
    return key;
  }
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
