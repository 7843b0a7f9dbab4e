// A restricted unpickler: the opcodes and globals torch.load(weights_only=True) accepts, and no
// others. It builds plain JS data (python-values.ts); a "global" is only ever a row of the allowlist
// and a "call" is one of a handful of rebuild rules written here. Nothing from the file ever runs.
import { DTYPE_SIZE } from '../../tensor/dtypes';
import { lookupAllowedGlobal, resolveGlobalName } from './allowed-globals';
import { opcodeName } from './pickle-opcodes';
import { scanPickleGlobals } from './pickle-scan';
import {
  asInt, describeValue, forgetLongKeyTexts, isStorage, PyDict, PyGlobal, PySet, PyTuple, TorchTensor,
  type PyValue, type TorchStorage,
} from './python-values';

/** The pickle names a global that weights-only loading refuses (os.system, eval, …). */
export class PickleRefusedError extends Error {
  constructor(readonly global: string, detail = '') {
    super(`refused global ${global}${detail ? ` (${detail})` : ''}`);
    this.name = 'PickleRefusedError';
  }
}
/** The pickle ended before its STOP opcode. */
export class PickleTruncatedError extends Error {
  constructor(at: number) {
    super(`pickle data ends early (at byte ${at})`);
    this.name = 'PickleTruncatedError';
  }
}
/** The pickle is malformed or uses something weights-only loading does not accept. */
export class PickleFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PickleFormatError';
  }
}

export interface UnpickleOptions {
  /** Resolves a persistent id (`('storage', StorageClass, key, location, numel, …)`) to a storage. */
  persistentLoad(pid: PyTuple): TorchStorage;
}

export interface UnpickleResult {
  value: PyValue;
  /** Offset just past the STOP opcode (legacy files hold several pickles back to back). */
  end: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/**
 * Bounds on what a hostile pickle can make us build (a real state dict stays far below all of them): open
 * MARKs, objects built plus elements copied by calls, tuples nested in tuples (hashing a dict key recurses
 * that deep), and dimensions of a tensor.
 */
const MAX_MARK_DEPTH = 1000;
const MAX_OBJECTS = 4_000_000;
const MAX_TUPLE_NESTING = 100;
const MAX_TENSOR_RANK = 64;

export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): UnpickleResult {
  try {
    return new Unpickler(bytes, start, options).run();
  } finally {
    forgetLongKeyTexts();
  }
}

class Unpickler {
  private p: number;
  private stack: PyValue[] = [];
  private readonly metastack: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;
  private objects = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly options: UnpickleOptions,
  ) {
    this.p = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): UnpickleResult {
    for (;;) {
      const at = this.p;
      const code = this.u8();
      switch (code) {
        case 0x63: this.push(this.global(this.line(), this.line())); break; // GLOBAL
        case 0x81: this.newobj(); break; // NEWOBJ
        case 0x52: { // REDUCE
          const args = this.pop();
          const fn = this.top();
          this.stack[this.stack.length - 1] = this.call(fn, args);
          break;
        }
        case 0x62: this.build(); break; // BUILD
        case 0x61: { const item = this.pop(); this.listTop('APPEND').push(item); break; } // APPEND
        case 0x65: { // APPENDS (a loop: spreading a million items into push() overflows the call stack)
          const items = this.popMark();
          const list = this.listTop('APPENDS');
          for (const item of items) list.push(item);
          break;
        }
        case 0x73: { const v = this.pop(); const k = this.pop(); this.dictTop('SETITEM').set(k, v); break; } // SETITEM
        case 0x75: { // SETITEMS
          const items = this.popMark();
          if (items.length % 2) throw new PickleFormatError('SETITEMS with an odd number of items');
          const d = this.dictTop('SETITEMS');
          for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
          break;
        }
        case 0x28: // MARK
          if (this.metastack.length >= MAX_MARK_DEPTH) throw new PickleFormatError(`pickle nests deeper than ${MAX_MARK_DEPTH} marks`);
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x74: this.push(this.tuple(this.popMark())); break; // TUPLE
        case 0x85: this.push(this.tuple([this.pop()])); break; // TUPLE1
        case 0x86: { const b = this.pop(); const a = this.pop(); this.push(this.tuple([a, b])); break; }
        case 0x87: { const c = this.pop(); const b = this.pop(); const a = this.pop(); this.push(this.tuple([a, b, c])); break; }
        case 0x4e: this.push(null); break; // NONE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x29: this.push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x7d: this.push(new PyDict()); break; // EMPTY_DICT
        case 0x8f: this.push(new PySet([])); break; // EMPTY_SET
        case 0x4a: this.need(4); this.push(this.view.getInt32(this.p, true)); this.p += 4; break; // BININT
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.need(2); this.push(this.view.getUint16(this.p, true)); this.p += 2; break; // BININT2
        case 0x47: this.need(8); this.push(this.view.getFloat64(this.p, false)); this.p += 8; break; // BINFLOAT
        case 0x58: { // BINUNICODE
          this.need(4);
          const n = this.view.getUint32(this.p, true);
          this.p += 4;
          this.push(this.text(this.take(n)));
          break;
        }
        case 0x55: this.push(this.text(this.take(this.u8()))); break; // SHORT_BINSTRING (torch.load decodes as utf-8)
        case 0x51: this.push(this.persistent(this.pop())); break; // BINPERSID
        case 0x68: this.push(this.memoGet(this.u8())); break; // BINGET
        case 0x6a: this.push(this.memoGet(this.u32())); break; // LONG_BINGET
        case 0x71: this.memo.set(this.u8(), this.top()); break; // BINPUT
        case 0x72: this.memo.set(this.u32(), this.top()); break; // LONG_BINPUT
        case 0x8a: this.push(decodeLong(this.take(this.u8()))); break; // LONG1
        case 0x80: this.u8(); break; // PROTO (torch accepts any number and warns)
        case 0x2e: return { value: this.pop(), end: this.p }; // STOP
        default: this.unsupported(code, at);
      }
    }
  }

  // --- the risky operations, each limited to the allowlist -----------------------------------

  private global(module: string, name: string): PyGlobal {
    const full = resolveGlobalName(module, name);
    const kind = lookupAllowedGlobal(full);
    if (!kind) throw new PickleRefusedError(full);
    const dot = full.lastIndexOf('.');
    return new PyGlobal(full.slice(0, dot), full.slice(dot + 1), kind);
  }

  private newobj(): void {
    const args = this.pop();
    const cls = this.pop();
    if (!(cls instanceof PyGlobal)) throw new PickleFormatError(`NEWOBJ on ${describeValue(cls)}, not a class`);
    const items = args instanceof PyTuple ? args.items : [];
    switch (cls.kind.type) {
      case 'parameter-class': this.push(asTensor(items[0] ?? null, 'Parameter')); return;
      case 'dict-class': this.push(new PyDict(cls.kind.dict)); return;
      case 'set': this.push(new PySet([])); return;
      default: throw new PickleFormatError(`creating ${cls.fullName} objects is not supported`);
    }
  }

  private call(fn: PyValue, args: PyValue): PyValue {
    if (!(fn instanceof PyGlobal)) throw new PickleFormatError(`REDUCE calls ${describeValue(fn)}, which is not an allowed function`);
    if (!(args instanceof PyTuple)) throw new PickleFormatError(`REDUCE arguments for ${fn.fullName} are not a tuple`);
    return applyGlobal(fn, args.items, (n) => this.charge(n));
  }

  private build(): void {
    const state = this.pop();
    const inst = this.top();
    if (inst instanceof PyDict && inst.kind === 'OrderedDict') inst.attrs = state; // e.g. state_dict._metadata
    else if (inst instanceof TorchTensor) {
      // Parameter.__setstate__ / tensor python attributes: nothing the weights depend on.
      if (state !== null && !(state instanceof PyDict) && !(state instanceof PyTuple)) {
        throw new PickleFormatError(`BUILD of a tensor with ${describeValue(state)} state`);
      }
    } else throw new PickleFormatError(`can only BUILD tensors, parameters or OrderedDicts, got ${describeValue(inst)}`);
  }

  private persistent(pid: PyValue): PyValue {
    if (!(pid instanceof PyTuple)) throw new PickleFormatError(`persistent id is a ${describeValue(pid)}, expected a tuple`);
    const tag = pid.items[0];
    const tagText = tag instanceof Uint8Array ? Buffer.from(tag).toString('latin1') : tag;
    if (tagText !== 'storage') throw new PickleFormatError(`only storages may be loaded by persistent id, got ${String(tagText)}`);
    return this.options.persistentLoad(pid);
  }

  private unsupported(code: number, at: number): never {
    // Name the global behind it when there is one, so a payload is reported by what it would call.
    const globals = scanPickleGlobals(this.bytes, this.start);
    const bad = globals.find((g) => !lookupAllowedGlobal(g));
    if (bad) throw new PickleRefusedError(bad, `pickle opcode ${opcodeName(code)}`);
    throw new PickleFormatError(`pickle opcode ${opcodeName(code)} at byte ${at - this.start} is not accepted by weights-only loading`);
  }

  // --- stack and byte helpers ----------------------------------------------------------------

  private push(v: PyValue): void {
    this.charge(1);
    this.stack.push(v);
  }
  /** Counts objects built and elements copied: a call that copies a memoised container is not free. */
  private charge(n: number): void {
    this.objects += n;
    if (this.objects > MAX_OBJECTS) throw new PickleFormatError(`pickle builds more than ${MAX_OBJECTS} objects`);
  }
  private tuple(items: PyValue[]): PyTuple {
    const t = new PyTuple(items);
    if (t.depth > MAX_TUPLE_NESTING) throw new PickleFormatError(`pickle nests tuples deeper than ${MAX_TUPLE_NESTING} levels`);
    return t;
  }
  private pop(): PyValue {
    if (!this.stack.length) throw new PickleFormatError('pickle stack underflow');
    return this.stack.pop() as PyValue;
  }
  private top(): PyValue {
    if (!this.stack.length) throw new PickleFormatError('pickle stack underflow');
    return this.stack[this.stack.length - 1];
  }
  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (!prev) throw new PickleFormatError('pickle MARK missing');
    this.stack = prev;
    return items;
  }
  private listTop(op: string): PyValue[] {
    const l = this.top();
    if (!Array.isArray(l)) throw new PickleFormatError(`${op} on a ${describeValue(l)}: can only append to lists`);
    return l;
  }
  private dictTop(op: string): PyDict {
    const d = this.top();
    if (!(d instanceof PyDict)) throw new PickleFormatError(`${op} on a ${describeValue(d)}: can only set items of dicts`);
    return d;
  }
  private memoGet(i: number): PyValue {
    if (!this.memo.has(i)) throw new PickleFormatError(`pickle memo ${i} read before it was written`);
    return this.memo.get(i) as PyValue;
  }
  private need(n: number): void {
    if (this.p + n > this.bytes.length) throw new PickleTruncatedError(this.bytes.length);
  }
  private u8(): number {
    this.need(1);
    return this.bytes[this.p++];
  }
  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.p, true);
    this.p += 4;
    return v;
  }
  private take(n: number): Uint8Array {
    this.need(n); // lengths never exceed the bytes present: no allocation from a header value
    const out = this.bytes.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  }
  private line(): string {
    const nl = this.bytes.indexOf(0x0a, this.p);
    if (nl < 0) throw new PickleTruncatedError(this.bytes.length);
    const s = this.text(this.bytes.subarray(this.p, nl));
    this.p = nl + 1;
    return s;
  }
  private text(b: Uint8Array): string {
    try {
      return utf8.decode(b);
    } catch {
      throw new PickleFormatError('pickle string is not valid UTF-8');
    }
  }
}

/** Python's decode_long: little-endian two's complement. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// --- the "calls": what each allowed function means, written out here -----------------------------

/** `charge(n)`: n more elements copied, counted against the unpickler's object limit. */
type Charge = (n: number) => void;

function applyGlobal(fn: PyGlobal, args: PyValue[], charge: Charge): PyValue {
  const k = fn.kind;
  switch (k.type) {
    case 'dict-class': {
      const d = new PyDict(k.dict);
      const init = args[0];
      if (init instanceof PyDict) {
        charge(init.size);
        for (const e of init.entries) d.set(e.key, e.value);
      } else if (Array.isArray(init)) {
        charge(init.length);
        for (const pair of init) {
          if (!(pair instanceof PyTuple) || pair.items.length !== 2) throw new PickleFormatError(`${fn.fullName} initialiser is not a list of pairs`);
          d.set(pair.items[0], pair.items[1]);
        }
      } else if (init !== undefined && init !== null) throw new PickleFormatError(`${fn.fullName}(${describeValue(init)}) is not supported`);
      return d;
    }
    case 'parameter-class': return asTensor(args[0] ?? null, 'Parameter');
    case 'size': {
      const items = args[0] instanceof PyTuple ? args[0].items : Array.isArray(args[0]) ? args[0] : [];
      charge(items.length);
      return new PyTuple(items);
    }
    case 'device': return args.map((a) => String(a)).join(':');
    case 'layout': return typeof args[0] === 'string' ? args[0] : 'torch.strided';
    case 'codecs-encode': {
      if (typeof args[0] !== 'string') throw new PickleFormatError('_codecs.encode of a non-string');
      charge(Math.ceil(args[0].length / 64));
      return new Uint8Array(Buffer.from(args[0], 'latin1'));
    }
    case 'bytearray': {
      const a = args[0];
      if (a instanceof Uint8Array) {
        charge(Math.ceil(a.length / 64));
        return a.slice();
      }
      if (a === undefined) return new Uint8Array(0);
      throw new PickleFormatError(`bytearray(${describeValue(a)}) is not supported`);
    }
    case 'set': return new PySet(Array.isArray(args[0]) ? args[0] : args[0] instanceof PyTuple ? args[0].items : []);
    case 'rebuild': return rebuild(k.fn, args, fn.fullName, charge);
    default: throw new PickleFormatError(`${fn.fullName} cannot be called here`);
  }
}

function rebuild(name: string, args: PyValue[], fullName: string, charge: Charge): PyValue {
  switch (name) {
    case '_rebuild_tensor':
    case '_rebuild_tensor_v2':
      return makeTensor(args[0], args[1], args[2], args[3], null, fullName);
    case '_rebuild_tensor_v3': {
      const dt = args[6];
      if (!(dt instanceof PyGlobal) || dt.kind.type !== 'dtype') throw new PickleFormatError(`${fullName}: dtype argument missing`);
      if (!dt.kind.dtype) throw new PickleFormatError(`tensors of ${dt.fullName} are not supported`);
      return makeTensor(args[0], args[1], args[2], args[3], dt.kind.dtype, fullName);
    }
    case '_rebuild_parameter':
    case '_rebuild_parameter_with_state':
      return asTensor(args[0] ?? null, fullName);
    case '_rebuild_from_type_v2': {
      const [fn, newType, inner] = args;
      if (!(newType instanceof PyGlobal) || (newType.kind.type !== 'tensor-class' && newType.kind.type !== 'parameter-class')) {
        throw new PickleFormatError(`${fullName}: tensor subclass ${describeValue(newType ?? null)} is not supported`);
      }
      if (!(fn instanceof PyGlobal) || !(inner instanceof PyTuple)) throw new PickleFormatError(`${fullName}: malformed arguments`);
      return applyGlobal(fn, inner.items, charge);
    }
    default:
      throw new PickleFormatError(`${fullName}: sparse, quantised, meta and device-only tensors are not supported`);
  }
}

function makeTensor(storage: PyValue | undefined, offset: PyValue | undefined, size: PyValue | undefined,
  stride: PyValue | undefined, dtypeOverride: TorchStorage['dtype'] | null, fn: string): TorchTensor {
  if (!isStorage(storage)) throw new PickleFormatError(`${fn}: first argument is not a storage`);
  const off = asInt(offset ?? null);
  const shape = intTuple(size, `${fn}: size`);
  const strides = intTuple(stride, `${fn}: stride`);
  if (off === null || off < 0) throw new PickleFormatError(`${fn}: storage offset is not a non-negative integer`);
  if (shape.length !== strides.length) throw new PickleFormatError(`${fn}: size and stride have different lengths`);
  if (shape.some((d) => d < 0) || strides.some((s) => s < 0)) throw new PickleFormatError(`${fn}: negative size or stride`);
  const dtype = dtypeOverride ?? storage.dtype;
  if (dtypeOverride && (storage.numel * DTYPE_SIZE[storage.dtype]) % DTYPE_SIZE[dtype]) {
    throw new PickleFormatError(`${fn}: storage bytes are not a whole number of ${dtype} elements`);
  }
  return new TorchTensor(storage, off, shape, strides, dtype);
}

function intTuple(v: PyValue | undefined, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items) throw new PickleFormatError(`${what} is not a tuple`);
  if (items.length > MAX_TENSOR_RANK) throw new PickleFormatError(`${what} has ${items.length} dimensions (at most ${MAX_TENSOR_RANK} are supported)`);
  return items.map((x) => {
    const n = asInt(x);
    if (n === null) throw new PickleFormatError(`${what} holds a non-integer`);
    return n;
  });
}

function asTensor(v: PyValue, what: string): TorchTensor {
  if (!(v instanceof TorchTensor)) throw new PickleFormatError(`${what} of ${describeValue(v)}: expected a tensor`);
  return v;
}
