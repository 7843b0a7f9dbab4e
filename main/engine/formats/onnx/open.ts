// Opens an .onnx file as a ModelSource: the scan locates initializers by file offset, the small
// non-initializer part of the graph is decoded for the graph view, and tensors are read on demand.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ProtoReader } from '../../onnx/wire';
import { decodeGraph, ONNX_TO_DTYPE, TensorDataType, type GraphProto, type StringEntry, type ValueInfoProto } from '../../onnx/proto';
import { DTYPE_SIZE } from '../../tensor/dtypes';
import { realPathInModelFolder } from '../linked-files';
import { readExact } from '../positioned-read';
import { openRegularFile } from '../regular-file';
import { ModelFileError, type GraphInfo, type ModelSource, type TensorInfo } from '../types';
import { scanOnnx, type OnnxLayout, type ScannedInitializer } from './scan';
import { typedFieldBytes } from './typed-values';
import { WindowedFile } from './windowed-file';

const HINT_CORRUPT = 'the file is damaged or not an ONNX model; export or download it again';

async function readFields(wf: WindowedFile, ranges: { start: number; end: number }[]): Promise<Uint8Array> {
  const total = ranges.reduce((n, r) => n + r.end - r.start, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of ranges) {
    out.set(await wf.view(r.start, r.end - r.start), at);
    at += r.end - r.start;
  }
  return out;
}

function decodeEntries(bytes: Uint8Array, field: number, decode: (r: ProtoReader) => void): void {
  const r = new ProtoReader(bytes);
  while (!r.done()) {
    const t = r.tag();
    if (t.field !== field) { r.skip(t.wire); continue; }
    const body = r.lengthDelimited();
    decode(new ProtoReader(body));
  }
}

function entryOf(r: ProtoReader): StringEntry {
  const e: StringEntry = { key: '', value: '' };
  while (!r.done()) {
    const t = r.tag();
    if (t.field === 1) e.key = r.string();
    else if (t.field === 2) e.value = r.string();
    else r.skip(t.wire);
  }
  return e;
}

/** Reads opset imports (field 8) and metadata_props (field 14) out of the top-level fields. */
function topLevelInfo(bytes: Uint8Array): { opset?: number; metadata: Record<string, string> } {
  const metadata: Record<string, string> = {};
  let opset: number | undefined;
  decodeEntries(bytes, 8, (r) => {
    let domain = '';
    let version = 0;
    while (!r.done()) {
      const t = r.tag();
      if (t.field === 1) domain = r.string();
      else if (t.field === 2) version = r.int64();
      else r.skip(t.wire);
    }
    if (domain === '' || domain === 'ai.onnx') opset = version;
  });
  decodeEntries(bytes, 14, (r) => { const e = entryOf(r); metadata[e.key] = e.value; });
  return { opset, metadata };
}

function valueInfo(v: ValueInfoProto): GraphInfo['inputs'][number] {
  const tt = v.type?.tensorType;
  return {
    name: v.name,
    dtype: tt ? (ONNX_TO_DTYPE[tt.elemType as TensorDataType] ?? TensorDataType[tt.elemType] ?? String(tt.elemType)) : undefined,
    shape: tt?.shape?.map((d) => d.dimValue ?? d.dimParam ?? '?'),
  };
}

export function graphInfo(graph: GraphProto, initializerNames: Set<string>, opset?: number): GraphInfo {
  return {
    // Older exporters list initializers among the inputs too; the graph view wants the real inputs.
    inputs: graph.input.filter((i) => !initializerNames.has(i.name)).map(valueInfo),
    outputs: graph.output.map(valueInfo),
    nodes: graph.node.map((n, i) => ({ name: n.name || `${n.opType}_${i}`, opType: n.opType, inputs: n.input, outputs: n.output })),
    opset,
  };
}

/** Resolves an external-data location, refusing anything outside the model's folder. */
function externalPath(file: string, name: string, location: string): string {
  const dir = path.dirname(path.resolve(file));
  const full = path.resolve(dir, location);
  if (!location || path.isAbsolute(location) || path.relative(dir, full).startsWith('..')) {
    throw new ModelFileError(file, `initializer "${name}" points at external data "${location}" outside the model's folder`,
      'external data files must sit in the same folder as the .onnx file');
  }
  return full;
}

/** Opens an external data file: a regular file whose real path lies in the model's folder (links resolved). */
async function openExternal(file: string, full: string): Promise<{ handle: fs.FileHandle; size: number }> {
  const name = path.relative(path.dirname(path.resolve(file)), full);
  try {
    await realPathInModelFolder(file, full, `external data file "${name}"`);
    return await openRegularFile(full, 'external data file');
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, `needs its external data file ${name}, which ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`,
      'keep the .onnx file and its external data files together in one folder');
  }
}

interface ExternalFiles { get(location: string): Promise<{ handle: fs.FileHandle; size: number }>; closeAll(): Promise<void> }

function externalFiles(file: string): ExternalFiles {
  const open = new Map<string, Promise<{ handle: fs.FileHandle; size: number }>>();
  return {
    get(full) {
      let p = open.get(full);
      if (!p) {
        p = openExternal(file, full);
        open.set(full, p);
      }
      return p;
    },
    async closeAll() {
      for (const p of open.values()) await p.then((f) => f.handle.close(), () => {});
    },
  };
}

/** Per tensor, a check of what the header alone does not prove (the count of values in a typed field). */
type SizeChecks = Map<string, () => Promise<string | undefined>>;

async function tensorOf(file: string, wf: WindowedFile, init: ScannedInitializer, ext: ExternalFiles, checks: SizeChecks): Promise<TensorInfo | string> {
  const dtype = ONNX_TO_DTYPE[init.dataType as TensorDataType];
  if (!dtype) return `skipped initializer "${init.name}": element type ${TensorDataType[init.dataType] ?? init.dataType} is not a numeric tensor type`;
  let elements = 1;
  for (const d of init.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFileError(file, `initializer "${init.name}" has an invalid dimension ${d}`, HINT_CORRUPT);
    elements *= d;
  }
  const byteLength = elements * DTYPE_SIZE[dtype];
  if (!Number.isSafeInteger(byteLength)) throw new ModelFileError(file, `initializer "${init.name}" is impossibly large`, HINT_CORRUPT);
  const base = { name: init.name, dtype, shape: init.dims, byteLength };

  if (init.dataLocation === 1) {
    const kv = Object.fromEntries((init.externalData ?? []).map((e) => [e.key, e.value]));
    const full = externalPath(file, init.name, kv.location ?? '');
    const offset = kv.offset ? Number(kv.offset) : 0;
    const length = kv.length ? Number(kv.length) : byteLength;
    if (!Number.isSafeInteger(offset) || offset < 0 || length !== byteLength) {
      throw new ModelFileError(file, `initializer "${init.name}" has external data of ${kv.length} bytes at offset ${kv.offset}, but its shape needs ${byteLength} bytes`, HINT_CORRUPT);
    }
    const { handle, size } = await ext.get(full);
    if (offset + length > size) {
      throw new ModelFileError(file, `initializer "${init.name}" needs bytes ${offset}–${offset + length} of ${path.basename(full)}, which has only ${size}`,
        'the external data file is truncated or belongs to another model');
    }
    return { ...base, read: () => readExact(handle, full, offset, length) };
  }
  if (init.raw) {
    if (init.raw.length !== byteLength) {
      throw new ModelFileError(file, `initializer "${init.name}" has ${init.raw.length} bytes of raw data but shape [${init.dims.join(', ')}] of ${dtype} needs ${byteLength}`, HINT_CORRUPT);
    }
    const { offset, length } = init.raw;
    return { ...base, read: () => readExact(wf.handle, file, offset, length) };
  }
  if (init.typed) {
    const read = async () => {
      // its own read, not the scan window: reads may run concurrently
      const message = await readExact(wf.handle, file, init.messageStart, init.messageEnd - init.messageStart);
      try {
        return typedFieldBytes(message, init.dataType, dtype, elements);
      } catch (e) {
        throw new ModelFileError(file, `initializer "${init.name}" ${(e as Error).message}`, HINT_CORRUPT);
      }
    };
    // Typed fields hold small tensors: counting their values is cheap, so inspect always does it.
    checks.set(init.name, () => read().then(() => undefined, (e: ModelFileError) => e.problem ?? (e as Error).message));
    return { ...base, read };
  }
  if (byteLength === 0) return { ...base, read: async () => new Uint8Array(0) };
  throw new ModelFileError(file, `initializer "${init.name}" has no data`, HINT_CORRUPT);
}

export interface OpenedOnnx { source: ModelSource; layout: OnnxLayout; graph: GraphProto }

export async function openOnnxFile(file: string): Promise<OpenedOnnx> {
  const { handle, size } = await openRegularFile(file);
  const ext = externalFiles(file);
  try {
    if (size === 0) throw new ModelFileError(file, 'is empty', 'export the model again');
    const wf = new WindowedFile(handle, file, size);
    let layout: OnnxLayout;
    let graph: GraphProto;
    let top: ReturnType<typeof topLevelInfo>;
    try {
      layout = await scanOnnx(wf);
      top = topLevelInfo(await readFields(wf, layout.topFields));
      graph = decodeGraph(new ProtoReader(await readFields(wf, layout.graphFields)));
    } catch (e) {
      if (e instanceof ModelFileError) throw e;
      throw new ModelFileError(file, `is not a valid ONNX protobuf (${(e as Error).message})`, HINT_CORRUPT);
    }
    const tensors: TensorInfo[] = [];
    const notes: string[] = [];
    const seen = new Set<string>();
    const checks: SizeChecks = new Map();
    for (const init of layout.initializers) {
      if (seen.has(init.name)) throw new ModelFileError(file, `has two initializers named "${init.name}"`, HINT_CORRUPT);
      seen.add(init.name);
      const t = await tensorOf(file, wf, init, ext, checks);
      if (typeof t === 'string') notes.push(t);
      else tensors.push(t);
    }
    const constants = graph.node.filter((n) => n.opType === 'Constant').length;
    if (constants) notes.push(`${constants} Constant node${constants === 1 ? '' : 's'} hold values inside the graph; they are kept as-is and not listed as tensors`);
    const source: ModelSource = {
      path: file,
      format: 'onnx',
      metadata: top.metadata,
      tensors,
      tied: [],
      graph: graphInfo(graph, seen, top.opset),
      notes,
      // Raw and external data were sized on open; typed fields are counted here. ONNX keeps no checksums.
      verify: async ({ tensors: only }) => {
        const problems: string[] = [];
        for (const [name, check] of checks) {
          if (only && !only.includes(name)) continue;
          const p = await check();
          if (p) problems.push(p);
        }
        return problems;
      },
      close: async () => { await ext.closeAll(); await handle.close(); },
    };
    return { source, layout, graph };
  } catch (e) {
    await ext.closeAll();
    await handle.close();
    throw e;
  }
}
