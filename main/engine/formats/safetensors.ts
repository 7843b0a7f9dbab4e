// safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a
// JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then the tensors' bytes back to back.
// Opening reads the header only; each tensor is fetched with one positioned read.
import { DTYPE_SIZE, type DType } from '../tensor/dtypes';
import { AtomicFile } from './atomic-file';
import { readExact } from './positioned-read';
import { openRegularFile } from './regular-file';
import { checkTiedGroups, summarizeTieProblems } from './tied-groups';
import {
  ModelFileError, type FormatReader, type FormatWriter, type ModelSource, type OpenOptions, type TensorInfo,
  type TensorSpec, type TensorWriteSession, type WriteOptions,
} from './types';

/** The spec's cap on the JSON header; larger values are refused before any allocation. */
export const SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024;
/** Where we record tied groups, since the format itself cannot share storage between names. */
export const TIED_METADATA_KEY = 'merge_studio.tied';

const ST_TO_DTYPE: Record<string, DType> = {
  F64: 'f64', F32: 'f32', F16: 'f16', BF16: 'bf16', F8_E4M3: 'f8_e4m3', F8_E5M2: 'f8_e5m2',
  I64: 'i64', I32: 'i32', I16: 'i16', I8: 'i8', U64: 'u64', U32: 'u32', U16: 'u16', U8: 'u8', BOOL: 'bool',
};
const DTYPE_TO_ST = Object.fromEntries(Object.entries(ST_TO_DTYPE).map(([k, v]) => [v, k])) as Record<DType, string>;

const HINT_CORRUPT = 'the file is damaged or not a safetensors file; download or export it again';

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Offsets relative to the start of the data section (just after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data section: 8 + header length. */
  dataStart: number;
  /** Entries in header order (the order the writer listed them). */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
}

function fail(file: string, problem: string, hint = HINT_CORRUPT): never {
  throw new ModelFileError(file, problem, hint);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates a header against the file size: known dtypes, byte length = elements × dtype size, and
 * offsets that tile the data section exactly (no gap, no overlap, nothing left over).
 */
export function parseSafetensorsHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const dataStart = 8 + headerBytes.length;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    fail(file, 'the safetensors header is not valid UTF-8 text');
  }
  if (text.trimStart()[0] !== '{') fail(file, 'the safetensors header is not JSON (it does not start with "{")');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `the safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail(file, 'the safetensors header is not a JSON object');

  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(file, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(file, `__metadata__ value "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!info || typeof info !== 'object') fail(file, `tensor "${name}" has no dtype/shape/data_offsets object`);
    const dtype = typeof info.dtype === 'string' ? ST_TO_DTYPE[info.dtype] : undefined;
    if (info.dtype === undefined) fail(file, `tensor "${name}" has no dtype`);
    if (!dtype) {
      fail(file, `tensor "${name}" has dtype ${JSON.stringify(info.dtype)}, which this app does not read`,
        `supported dtypes: ${Object.keys(ST_TO_DTYPE).join(', ')}`);
    }
    if (!Array.isArray(info.shape) || !info.shape.every(isCount)) fail(file, `tensor "${name}" has an invalid shape ${JSON.stringify(info.shape)}`);
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !isCount(offs[0]) || !isCount(offs[1]) || offs[1] < offs[0]) {
      fail(file, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const shape = info.shape as number[];
    let elements = 1;
    for (const d of shape) elements *= d;
    const expected = elements * DTYPE_SIZE[dtype];
    if (!Number.isSafeInteger(expected) || expected !== offs[1] - offs[0]) {
      fail(file, `tensor "${name}" has shape [${shape.join(', ')}] of ${info.dtype} (${expected} bytes) but data_offsets span ${offs[1] - offs[0]} bytes`);
    }
    entries.push({ name, dtype, shape, begin: offs[0], end: offs[1] });
  }

  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev = '(start of data)';
  for (const e of byOffset) {
    if (e.begin > cursor) fail(file, `there is a gap of ${e.begin - cursor} bytes between ${prev} and tensor "${e.name}"`);
    if (e.begin < cursor) fail(file, `tensor "${e.name}" overlaps ${prev} (starts at ${e.begin}, ${prev} ends at ${cursor})`);
    cursor = e.end;
    prev = `tensor "${e.name}"`;
  }
  const dataBytes = fileSize - dataStart;
  if (cursor > dataBytes) fail(file, `the tensors need ${cursor} bytes of data but the file holds only ${dataBytes}`, 'the file is truncated; download or copy it again');
  if (cursor < dataBytes) fail(file, `the file has ${dataBytes - cursor} bytes after the last tensor`, HINT_CORRUPT);
  return { dataStart, entries, metadata };
}

/** Tied groups recorded in __metadata__, kept only where they hold (see tied-groups.ts); the others are noted. */
function tiedFromMetadata(metadata: Record<string, string>, entries: SafetensorsEntry[], notes: string[]): string[][] {
  const raw = metadata[TIED_METADATA_KEY];
  if (raw === undefined) return [];
  delete metadata[TIED_METADATA_KEY];
  let groups: unknown;
  try { groups = JSON.parse(raw); } catch { groups = null; }
  if (!Array.isArray(groups)) {
    notes.push(`ignored ${TIED_METADATA_KEY} in __metadata__: not a JSON list of name lists`);
    return [];
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  const { groups: kept, problems } = checkTiedGroups(groups, (n) => byName.get(n));
  if (problems.length) notes.push(`ignored ${problems.length} tied group(s) in __metadata__ (each tensor is loaded on its own): ${summarizeTieProblems(problems)}`);
  return kept;
}

export function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 9) return false;
  const n = new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(0, true);
  if (n < 2n || n > BigInt(SAFETENSORS_MAX_HEADER)) return false;
  // The header is JSON: '{' possibly after spaces.
  for (let i = 8; i < head.length; i++) {
    if (head[i] === 0x7b) return true;
    if (head[i] !== 0x20) return false;
  }
  return false;
}

async function openSafetensors(file: string, options: OpenOptions = {}): Promise<ModelSource> {
  const maxHeader = Math.min(options.maxHeaderBytes ?? SAFETENSORS_MAX_HEADER, SAFETENSORS_MAX_HEADER);
  const { handle, size } = await openRegularFile(file);
  try {
    if (size < 8) fail(file, `is only ${size} bytes long; a safetensors file starts with an 8-byte header length`, 'the file is truncated; download or copy it again');
    const lenBytes = await readExact(handle, file, 0, 8);
    const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (headerLen > BigInt(maxHeader)) fail(file, `declares a ${headerLen}-byte header, over the ${maxHeader}-byte limit`);
    if (8n + headerLen > BigInt(size)) {
      fail(file, `declares a ${headerLen}-byte header but the file is only ${size} bytes`, 'the file is truncated or not a safetensors file');
    }
    const header = parseSafetensorsHeader(file, await readExact(handle, file, 8, Number(headerLen)), size);
    const notes: string[] = [];
    const tied = tiedFromMetadata(header.metadata, header.entries, notes);
    const tensors: TensorInfo[] = header.entries.map((e) => ({
      name: e.name,
      dtype: e.dtype,
      shape: e.shape,
      byteLength: e.end - e.begin,
      read: () => readExact(handle, file, header.dataStart + e.begin, e.end - e.begin),
      readSpan: async () => ({ data: await readExact(handle, file, header.dataStart + e.begin, e.end - e.begin), fileOffset: header.dataStart + e.begin }),
    }));
    return { path: file, format: 'safetensors', metadata: header.metadata, tensors, tied, notes, close: () => handle.close() };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

export const safetensorsReader: FormatReader = {
  id: 'safetensors',
  label: 'safetensors',
  extensions: ['.safetensors'],
  sniff: (head) => looksLikeSafetensors(head),
  open: openSafetensors,
};

// ---------------------------------------------------------------- writer

/** Data order: every written tensor followed by its aliases (written again under their names). */
interface Slot { spec: TensorSpec; aliases: TensorSpec[]; byteLength: number }

function planSlots(target: string, specs: TensorSpec[], tied: string[][]): Slot[] {
  const specByName = new Map<string, TensorSpec>();
  for (const s of specs) {
    if (specByName.has(s.name)) throw new ModelFileError(target, `tensor name "${s.name}" appears twice`, 'give every tensor a unique name');
    if (!DTYPE_TO_ST[s.dtype]) throw new ModelFileError(target, `cannot store dtype ${s.dtype} in safetensors`);
    specByName.set(s.name, s);
  }
  const aliasesOf = new Map<string, TensorSpec[]>();
  const isAlias = new Set<string>();
  const { problems } = checkTiedGroups(tied, (n) => specByName.get(n));
  if (problems.length) throw new ModelFileError(target, `cannot be written: ${problems[0]}`, 'each tied name must be a tensor being written, in one group only');
  for (const group of tied) {
    const primary = specByName.get(group[0])!;
    for (const alias of group.slice(1)) {
      isAlias.add(alias);
      const list = aliasesOf.get(primary.name) ?? [];
      list.push({ ...primary, name: alias });
      aliasesOf.set(primary.name, list);
    }
  }
  return specs.filter((s) => !isAlias.has(s.name)).map((spec) => {
    let n = DTYPE_SIZE[spec.dtype];
    for (const d of spec.shape) n *= d;
    return { spec, aliases: aliasesOf.get(spec.name) ?? [], byteLength: n };
  });
}

/**
 * Header keys follow the specs' order (so a reader lists the model as it was given); the data
 * section puts each alias's copy right after its primary, so one streaming pass writes it.
 */
function encodeHeader(specs: TensorSpec[], slots: Slot[], metadata: Record<string, string>, minLength = 0): Uint8Array {
  const offsets = new Map<string, [number, number]>();
  const specOf = new Map<string, TensorSpec>();
  let offset = 0;
  for (const slot of slots) {
    for (const s of [slot.spec, ...slot.aliases]) {
      offsets.set(s.name, [offset, offset + slot.byteLength]);
      specOf.set(s.name, s);
      offset += slot.byteLength;
    }
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const names = [...new Set([...specs.map((s) => s.name), ...offsets.keys()])];
  for (const name of names) {
    const s = specOf.get(name)!;
    header[name] = { dtype: DTYPE_TO_ST[s.dtype], shape: s.shape, data_offsets: offsets.get(name) };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Trailing spaces (the spec allows them) keep the data 8-byte aligned, and let a header rewritten at
  // finish() with its final metadata fill exactly the room of the first one.
  const padded = Math.max(minLength - 8, json.length + ((8 - (json.length % 8)) % 8));
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}

async function beginSafetensors(target: string, specs: TensorSpec[], options: WriteOptions = {}): Promise<TensorWriteSession> {
  const tied = (options.tied ?? []).filter((g) => g.length >= 2);
  const slots = planSlots(target, specs, tied);
  const withTied = (m: Record<string, string> | undefined) => {
    const out = { ...(m ?? {}) };
    if (tied.length) out[TIED_METADATA_KEY] = JSON.stringify(tied);
    return out;
  };
  const metadata = options.metadata;
  const header = encodeHeader(specs, slots, withTied(metadata));
  if (header.length - 8 > SAFETENSORS_MAX_HEADER) throw new ModelFileError(target, 'the header would exceed the 100 MB safetensors limit');
  const file = await AtomicFile.create(target);
  let next = 0;
  try {
    await file.write(header);
  } catch (e) {
    await file.discard();
    throw e;
  }
  return {
    async writeTensor(name, data) {
      const slot = slots[next];
      if (!slot) throw new Error(`safetensors writer: unexpected tensor "${name}" after all tensors were written`);
      if (slot.spec.name !== name) throw new Error(`safetensors writer: expected tensor "${slot.spec.name}" next, got "${name}"`);
      if (data.length !== slot.byteLength) throw new Error(`safetensors writer: tensor "${name}" has ${data.length} bytes, expected ${slot.byteLength}`);
      next++;
      await file.write(data);
      for (let i = 0; i < slot.aliases.length; i++) await file.write(data);
    },
    async finish(final) {
      if (next !== slots.length) {
        await file.discard();
        throw new Error(`safetensors writer: ${slots.length - next} tensors were never written (next: "${slots[next].spec.name}")`);
      }
      try {
        if (final?.metadata) {
          // The final metadata replaces the first in place: the header keeps its length (padded with spaces).
          const rewritten = encodeHeader(specs, slots, withTied(final.metadata), header.length);
          if (rewritten.length !== header.length) {
            throw new Error(`safetensors writer: the final metadata needs ${rewritten.length - header.length} bytes more header than was reserved at begin()`);
          }
          await file.patch(0, rewritten);
        }
        await file.commit();
      } catch (e) {
        await file.discard();
        throw e;
      }
    },
    abort: () => file.discard(),
  };
}

export const safetensorsWriter: FormatWriter = {
  id: 'safetensors',
  extensions: ['.safetensors'],
  lateMetadata: true,
  begin: beginSafetensors,
};
