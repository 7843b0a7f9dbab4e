// ONNX protobuf messages as plain objects, with our own encoder and decoder (DESIGN.md: we own it).
// Field numbers follow onnx/onnx.proto. Raw tensor bytes stay views into the source buffer.
import { ProtoReader, ProtoWriter, WIRE_LEN } from './wire';
import type { DType } from '../tensor/dtypes';

export enum TensorDataType {
  UNDEFINED = 0, FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7,
  STRING = 8, BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, COMPLEX64 = 14,
  COMPLEX128 = 15, BFLOAT16 = 16, FLOAT8E4M3FN = 17, FLOAT8E4M3FNUZ = 18, FLOAT8E5M2 = 19, FLOAT8E5M2FNUZ = 20,
}

export const ONNX_TO_DTYPE: Partial<Record<TensorDataType, DType>> = {
  [TensorDataType.FLOAT]: 'f32', [TensorDataType.DOUBLE]: 'f64', [TensorDataType.FLOAT16]: 'f16',
  [TensorDataType.BFLOAT16]: 'bf16', [TensorDataType.FLOAT8E4M3FN]: 'f8_e4m3', [TensorDataType.FLOAT8E5M2]: 'f8_e5m2',
  [TensorDataType.INT64]: 'i64', [TensorDataType.INT32]: 'i32', [TensorDataType.INT16]: 'i16', [TensorDataType.INT8]: 'i8',
  [TensorDataType.UINT64]: 'u64', [TensorDataType.UINT32]: 'u32', [TensorDataType.UINT16]: 'u16', [TensorDataType.UINT8]: 'u8',
  [TensorDataType.BOOL]: 'bool',
};
export const DTYPE_TO_ONNX: Record<DType, TensorDataType> = Object.fromEntries(
  Object.entries(ONNX_TO_DTYPE).map(([k, v]) => [v, Number(k)]),
) as Record<DType, TensorDataType>;

export enum AttributeType {
  UNDEFINED = 0, FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7,
  STRINGS = 8, TENSORS = 9, GRAPHS = 10, SPARSE_TENSOR = 11, SPARSE_TENSORS = 12, TYPE_PROTO = 13, TYPE_PROTOS = 14,
}

export interface StringEntry { key: string; value: string }

export interface TensorProto {
  name: string;
  dataType: TensorDataType;
  dims: number[];
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  uint64Data?: number[];
  stringData?: Uint8Array[];
  externalData?: StringEntry[];
  /** 1 = EXTERNAL */
  dataLocation?: number;
  docString?: string;
}

export interface AttributeProto {
  name: string;
  type: AttributeType;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  docString?: string;
}

export interface NodeProto {
  name?: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
  docString?: string;
}

export interface TensorShapeDim { dimValue?: number; dimParam?: string }
export interface TypeProto {
  tensorType?: { elemType: TensorDataType; shape?: TensorShapeDim[] };
}
export interface ValueInfoProto { name: string; type?: TypeProto; docString?: string }

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  docString?: string;
}

export interface OperatorSetId { domain: string; version: number }

export interface ModelProto {
  irVersion: number;
  opsetImport: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: GraphProto;
  metadataProps: StringEntry[];
}

// ---------------------------------------------------------------- encode

function encodeEntry(w: ProtoWriter, e: StringEntry): void {
  w.string(1, e.key);
  w.string(2, e.value);
}

export function encodeTensor(w: ProtoWriter, t: TensorProto): void {
  w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (t.floatData?.length) w.packedFloats(4, t.floatData);
  if (t.int32Data?.length) w.packedInts(5, t.int32Data);
  for (const s of t.stringData ?? []) w.bytes(6, s);
  if (t.int64Data?.length) w.packedInts(7, t.int64Data);
  w.string(8, t.name);
  if (t.rawData) w.bytes(9, t.rawData);
  if (t.doubleData?.length) w.packedDoubles(10, t.doubleData);
  if (t.uint64Data?.length) w.packedInts(11, t.uint64Data);
  w.string(12, t.docString);
  for (const e of t.externalData ?? []) w.message(13, (m) => encodeEntry(m, e));
  if (t.dataLocation) w.int(14, t.dataLocation);
}

function encodeAttribute(w: ProtoWriter, a: AttributeProto): void {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.int(3, a.i);
  if (a.s !== undefined) w.bytes(4, a.s);
  if (a.t) w.message(5, (m) => encodeTensor(m, a.t!));
  if (a.g) w.message(6, (m) => encodeGraph(m, a.g!));
  if (a.floats?.length) w.packedFloats(7, a.floats);
  if (a.ints?.length) w.packedInts(8, a.ints);
  for (const s of a.strings ?? []) w.bytes(9, s);
  for (const t of a.tensors ?? []) w.message(10, (m) => encodeTensor(m, t));
  for (const g of a.graphs ?? []) w.message(11, (m) => encodeGraph(m, g));
  w.string(13, a.docString);
  w.int(20, a.type);
}

function encodeNode(w: ProtoWriter, n: NodeProto): void {
  for (const i of n.input) w.bytes(1, new TextEncoder().encode(i)); // empty names are meaningful (optional inputs)
  for (const o of n.output) w.bytes(2, new TextEncoder().encode(o));
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attribute) w.message(5, (m) => encodeAttribute(m, a));
  w.string(6, n.docString);
  w.string(7, n.domain);
}

function encodeValueInfo(w: ProtoWriter, v: ValueInfoProto): void {
  w.string(1, v.name);
  const tt = v.type?.tensorType;
  if (tt) {
    w.message(2, (tp) => tp.message(1, (t) => {
      t.int(1, tt.elemType);
      if (tt.shape) {
        t.message(2, (s) => {
          for (const d of tt.shape!) s.message(1, (dm) => {
            if (d.dimValue !== undefined) dm.int(1, d.dimValue);
            else if (d.dimParam !== undefined) dm.string(2, d.dimParam);
          });
        });
      }
    }));
  }
  w.string(3, v.docString);
}

export function encodeGraph(w: ProtoWriter, g: GraphProto): void {
  for (const n of g.node) w.message(1, (m) => encodeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializer) w.message(5, (m) => encodeTensor(m, t));
  w.string(10, g.docString);
  for (const v of g.input) w.message(11, (m) => encodeValueInfo(m, v));
  for (const v of g.output) w.message(12, (m) => encodeValueInfo(m, v));
  for (const v of g.valueInfo) w.message(13, (m) => encodeValueInfo(m, v));
}

export function encodeModel(model: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  w.string(4, model.domain);
  if (model.modelVersion !== undefined) w.int(5, model.modelVersion);
  w.string(6, model.docString);
  w.message(7, (m) => encodeGraph(m, model.graph));
  for (const o of model.opsetImport) w.message(8, (m) => { m.string(1, o.domain); m.int(2, o.version); });
  for (const e of model.metadataProps) w.message(14, (m) => encodeEntry(m, e));
  return w.finish();
}

// ---------------------------------------------------------------- decode

/** A key/value entry (metadata_props, external_data); also used by the offset scanner for large files. */
export function decodeEntry(r: ProtoReader): StringEntry {
  const e: StringEntry = { key: '', value: '' };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_LEN) e.key = r.string();
    else if (field === 2 && wire === WIRE_LEN) e.value = r.string();
    else r.skip(wire);
  }
  return e;
}

function sub(r: ProtoReader): ProtoReader {
  const d = r.lengthDelimited();
  return new ProtoReader(r.buf, d.byteOffset - r.buf.byteOffset, d.byteOffset - r.buf.byteOffset + d.length);
}

export function decodeTensor(r: ProtoReader): TensorProto {
  const t: TensorProto = { name: '', dataType: TensorDataType.UNDEFINED, dims: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.int64s(wire, t.dims); break;
      case 2: t.dataType = r.uint(); break;
      case 4: r.floats(wire, (t.floatData ??= [])); break;
      case 5: r.int64s(wire, (t.int32Data ??= [])); break;
      case 6: (t.stringData ??= []).push(r.lengthDelimited()); break;
      case 7: r.int64s(wire, (t.int64Data ??= [])); break;
      case 8: t.name = r.string(); break;
      case 9: t.rawData = r.lengthDelimited(); break;
      case 10: r.doubles(wire, (t.doubleData ??= [])); break;
      case 11: r.int64s(wire, (t.uint64Data ??= [])); break;
      case 12: t.docString = r.string(); break;
      case 13: (t.externalData ??= []).push(decodeEntry(sub(r))); break;
      case 14: t.dataLocation = r.uint(); break;
      default: r.skip(wire);
    }
  }
  return t;
}

function decodeAttribute(r: ProtoReader): AttributeProto {
  const a: AttributeProto = { name: '', type: AttributeType.UNDEFINED };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: a.name = r.string(); break;
      case 2: a.f = r.float(); break;
      case 3: a.i = r.int64(); break;
      case 4: a.s = r.lengthDelimited(); break;
      case 5: a.t = decodeTensor(sub(r)); break;
      case 6: a.g = decodeGraph(sub(r)); break;
      case 7: r.floats(wire, (a.floats ??= [])); break;
      case 8: r.int64s(wire, (a.ints ??= [])); break;
      case 9: (a.strings ??= []).push(r.lengthDelimited()); break;
      case 10: (a.tensors ??= []).push(decodeTensor(sub(r))); break;
      case 11: (a.graphs ??= []).push(decodeGraph(sub(r))); break;
      case 13: a.docString = r.string(); break;
      case 20: a.type = r.uint(); break;
      default: r.skip(wire);
    }
  }
  return a;
}

function decodeNode(r: ProtoReader): NodeProto {
  const n: NodeProto = { opType: '', input: [], output: [], attribute: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: n.input.push(r.string()); break;
      case 2: n.output.push(r.string()); break;
      case 3: n.name = r.string(); break;
      case 4: n.opType = r.string(); break;
      case 5: n.attribute.push(decodeAttribute(sub(r))); break;
      case 6: n.docString = r.string(); break;
      case 7: n.domain = r.string(); break;
      default: r.skip(wire);
    }
  }
  return n;
}

function decodeValueInfo(r: ProtoReader): ValueInfoProto {
  const v: ValueInfoProto = { name: '' };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) v.name = r.string();
    else if (field === 3) v.docString = r.string();
    else if (field === 2 && wire === WIRE_LEN) {
      const tp = sub(r);
      while (!tp.done()) {
        const t = tp.tag();
        if (t.field !== 1 || t.wire !== WIRE_LEN) { tp.skip(t.wire); continue; }
        const tt = sub(tp);
        const tensorType: { elemType: TensorDataType; shape?: TensorShapeDim[] } = { elemType: 0 };
        while (!tt.done()) {
          const f = tt.tag();
          if (f.field === 1) tensorType.elemType = tt.uint();
          else if (f.field === 2 && f.wire === WIRE_LEN) {
            const shape: TensorShapeDim[] = [];
            const sr = sub(tt);
            while (!sr.done()) {
              const sf = sr.tag();
              if (sf.field !== 1 || sf.wire !== WIRE_LEN) { sr.skip(sf.wire); continue; }
              const dr = sub(sr);
              const dim: TensorShapeDim = {};
              while (!dr.done()) {
                const df = dr.tag();
                if (df.field === 1) dim.dimValue = dr.int64();
                else if (df.field === 2) dim.dimParam = dr.string();
                else dr.skip(df.wire);
              }
              shape.push(dim);
            }
            tensorType.shape = shape;
          } else tt.skip(f.wire);
        }
        v.type = { tensorType };
      }
    } else r.skip(wire);
  }
  return v;
}

export function decodeGraph(r: ProtoReader): GraphProto {
  const g: GraphProto = { name: '', node: [], initializer: [], input: [], output: [], valueInfo: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: g.node.push(decodeNode(sub(r))); break;
      case 2: g.name = r.string(); break;
      case 5: g.initializer.push(decodeTensor(sub(r))); break;
      case 10: g.docString = r.string(); break;
      case 11: g.input.push(decodeValueInfo(sub(r))); break;
      case 12: g.output.push(decodeValueInfo(sub(r))); break;
      case 13: g.valueInfo.push(decodeValueInfo(sub(r))); break;
      default: r.skip(wire);
    }
  }
  return g;
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new ProtoReader(bytes);
  const m: ModelProto = {
    irVersion: 0, opsetImport: [], metadataProps: [],
    graph: { name: '', node: [], initializer: [], input: [], output: [], valueInfo: [] },
  };
  let sawGraph = false;
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: m.irVersion = r.int64(); break;
      case 2: m.producerName = r.string(); break;
      case 3: m.producerVersion = r.string(); break;
      case 4: m.domain = r.string(); break;
      case 5: m.modelVersion = r.int64(); break;
      case 6: m.docString = r.string(); break;
      case 7: m.graph = decodeGraph(sub(r)); sawGraph = true; break;
      case 8: {
        const o = sub(r);
        const op: OperatorSetId = { domain: '', version: 0 };
        while (!o.done()) {
          const f = o.tag();
          if (f.field === 1) op.domain = o.string();
          else if (f.field === 2) op.version = o.int64();
          else o.skip(f.wire);
        }
        m.opsetImport.push(op);
        break;
      }
      case 14: m.metadataProps.push(decodeEntry(sub(r))); break;
      default: r.skip(wire);
    }
  }
  if (!sawGraph) throw new Error('not an ONNX model: no graph');
  return m;
}
