// Locates an ONNX model's parts by file offset without decoding the whole file: the top-level
// fields, the graph's fields, and for each initializer its name/dtype/dims and where its data lives
// (raw_data range, typed-field message, or external file). Only field headers and small fields are read.
import { ProtoError, ProtoReader, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../onnx/wire';
import { decodeEntry, type StringEntry } from '../../onnx/proto';
import { WindowedFile } from './windowed-file';

/** A whole field (tag included) in the file: copying [start, end) reproduces it exactly. */
export interface FieldRange { field: number; start: number; end: number }

export interface ScannedInitializer {
  name: string;
  dataType: number;
  dims: number[];
  /** The TensorProto message itself (without its tag and length). */
  messageStart: number;
  messageEnd: number;
  /** The whole `initializer` field, tag included. */
  fieldStart: number;
  raw?: { offset: number; length: number };
  /** Values sit in float_data / int32_data / int64_data / double_data / uint64_data / string_data. */
  typed: boolean;
  externalData?: StringEntry[];
  dataLocation: number;
}

export interface OnnxLayout {
  size: number;
  /** Top-level fields other than the graph, in file order. */
  topFields: FieldRange[];
  /** Graph fields other than initializers, in file order. */
  graphFields: FieldRange[];
  initializers: ScannedInitializer[];
}

interface FieldHead { field: number; wire: number; start: number; valueStart: number; valueEnd: number; value: number }

const MODEL_FIELD = { graph: 7 } as const;
const GRAPH_FIELD = { initializer: 5 } as const;
const MAX_FIELD_HEAD = 20; // tag (≤ 5 bytes) + varint or length (≤ 10 bytes)

/** Reads the fields of one message lying in [start, end) of the file, header by header. */
async function* fieldsOf(wf: WindowedFile, start: number, end: number): AsyncGenerator<FieldHead> {
  let pos = start;
  while (pos < end) {
    const head = await wf.view(pos, Math.min(MAX_FIELD_HEAD, end - pos));
    const r = new ProtoReader(head);
    const { field, wire } = r.tag();
    let value = 0;
    let valueStart = pos + r.pos;
    let valueEnd: number;
    switch (wire) {
      case WIRE_VARINT: value = Number(BigInt.asIntN(64, r.varint())); valueEnd = pos + r.pos; break;
      case WIRE_I64: valueEnd = valueStart + 8; break;
      case WIRE_I32: valueEnd = valueStart + 4; break;
      case WIRE_LEN: {
        const len = r.uint();
        valueStart = pos + r.pos;
        valueEnd = valueStart + len;
        break;
      }
      default: throw new ProtoError(`unsupported wire type ${wire} at byte ${pos}`);
    }
    if (valueEnd > end) throw new ProtoError(`field ${field} at byte ${pos} runs past the end of its message (byte ${end})`);
    yield { field, wire, start: pos, valueStart, valueEnd, value };
    pos = valueEnd;
  }
}

async function scanInitializer(wf: WindowedFile, fieldStart: number, start: number, end: number): Promise<ScannedInitializer> {
  const t: ScannedInitializer = { name: '', dataType: 0, dims: [], messageStart: start, messageEnd: end, fieldStart, typed: false, dataLocation: 0 };
  for await (const f of fieldsOf(wf, start, end)) {
    switch (f.field) {
      case 1:
        if (f.wire === WIRE_LEN) {
          const r = new ProtoReader(await wf.view(f.valueStart, f.valueEnd - f.valueStart));
          while (!r.done()) t.dims.push(r.int64());
        } else t.dims.push(f.value);
        break;
      case 2: t.dataType = f.value; break;
      case 8: t.name = new TextDecoder().decode(await wf.view(f.valueStart, f.valueEnd - f.valueStart)); break;
      case 9: t.raw = { offset: f.valueStart, length: f.valueEnd - f.valueStart }; break;
      case 4: case 5: case 6: case 7: case 10: case 11: t.typed = true; break;
      case 13: (t.externalData ??= []).push(decodeEntry(new ProtoReader(await wf.bytes(f.valueStart, f.valueEnd - f.valueStart)))); break;
      case 14: t.dataLocation = f.value; break;
      default: break;
    }
  }
  return t;
}

export async function scanOnnx(wf: WindowedFile): Promise<OnnxLayout> {
  const layout: OnnxLayout = { size: wf.size, topFields: [], graphFields: [], initializers: [] };
  let sawGraph = false;
  for await (const top of fieldsOf(wf, 0, wf.size)) {
    if (top.field !== MODEL_FIELD.graph || top.wire !== WIRE_LEN) {
      layout.topFields.push({ field: top.field, start: top.start, end: top.valueEnd });
      continue;
    }
    sawGraph = true;
    for await (const g of fieldsOf(wf, top.valueStart, top.valueEnd)) {
      if (g.field === GRAPH_FIELD.initializer && g.wire === WIRE_LEN) {
        layout.initializers.push(await scanInitializer(wf, g.start, g.valueStart, g.valueEnd));
      } else {
        layout.graphFields.push({ field: g.field, start: g.start, end: g.valueEnd });
      }
    }
  }
  if (!sawGraph) throw new ProtoError('no graph field');
  return layout;
}

/** Known ModelProto fields and their wire types, for recognising ONNX by its first bytes. */
const MODEL_FIELDS: Record<number, number> = {
  1: WIRE_VARINT, 2: WIRE_LEN, 3: WIRE_LEN, 4: WIRE_LEN, 5: WIRE_VARINT, 6: WIRE_LEN, 7: WIRE_LEN, 8: WIRE_LEN,
  14: WIRE_LEN, 20: WIRE_LEN, 25: WIRE_LEN,
};

/** True when the head parses as ModelProto fields (stopping where a field runs past the head). */
export function looksLikeOnnx(head: Uint8Array): boolean {
  if (!head.length) return false;
  const r = new ProtoReader(head);
  let fields = 0;
  try {
    while (!r.done()) {
      const { field, wire } = r.tag();
      if (MODEL_FIELDS[field] !== wire) return false;
      fields++;
      if (wire === WIRE_LEN) {
        const len = r.uint();
        if (len > head.length - r.pos) return true; // a big field (the graph): the head looked right so far
        r.pos += len;
      } else r.varint();
    }
  } catch {
    return fields > 0 && r.pos >= head.length - MAX_FIELD_HEAD; // cut mid-field by the end of the head
  }
  return fields > 0;
}
