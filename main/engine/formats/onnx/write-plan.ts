// Plans an ONNX output that keeps a source model's graph: which initializers come from the caller
// (streamed in spec order, aliases right after their primary), which keep their original values,
// and whether tensor data must move to an external-data file to stay under the protobuf limit.
// Every byte length is fixed here, so the writer can emit length prefixes before any data arrives.
import { ProtoWriter } from '../../onnx/wire';
import { DTYPE_TO_ONNX, encodeTensor, type TensorProto } from '../../onnx/proto';
import type { DType } from '../../tensor/dtypes';
import { ModelFileError, type ModelSource, type TensorInfo, type TensorSpec } from '../types';
import type { OnnxLayout } from './scan';

/** protobuf messages cannot exceed 2 GiB − 1 bytes. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;
const EXTERNAL_ALIGN = 64;
const TAG_INITIALIZER = 0x2a; // field 5, length-delimited
const TAG_RAW_DATA = 0x4a; // field 9, length-delimited

/** An initializer copied byte for byte from the source file (inline data, any encoding). */
export interface VerbatimItem { kind: 'verbatim'; name: string; start: number; end: number }
/** An initializer written fresh: from the caller ('stream', 'alias') or re-read from the source ('reencode'). */
export interface TensorItem {
  kind: 'stream' | 'alias' | 'reencode';
  name: string;
  dtype: DType;
  dims: number[];
  byteLength: number;
  /** Offset in the external-data file; undefined when the data is inline. */
  external?: number;
  source?: TensorInfo;
}
export type PlanItem = VerbatimItem | TensorItem;

export interface OnnxWritePlan {
  /** Written by begin(): kept initializers. */
  kept: PlanItem[];
  /** Written as the caller's data arrives, in this order. */
  streamed: TensorItem[];
  /** Name of the external-data file (relative to the model), used when externalBytes > 0. */
  location: string;
  externalBytes: number;
  /** Length of the GraphProto body (graph fields + every initializer field). */
  graphLength: number;
}

export function varint(n: number): Uint8Array {
  const w = new ProtoWriter();
  w.varint(n);
  return w.finish().slice();
}

/** The initializer field up to its data: tag, length, TensorProto fields, raw_data tag and length. */
export function initializerPrefix(item: TensorItem, location: string): Uint8Array {
  const t: TensorProto = { name: item.name, dataType: DTYPE_TO_ONNX[item.dtype], dims: item.dims };
  const inline = item.external === undefined;
  if (!inline) {
    t.dataLocation = 1;
    t.externalData = [
      { key: 'location', value: location },
      { key: 'offset', value: String(item.external) },
      { key: 'length', value: String(item.byteLength) },
    ];
  }
  const w = new ProtoWriter();
  encodeTensor(w, t);
  const head = w.finish();
  const raw = inline ? [TAG_RAW_DATA, ...varint(item.byteLength)] : [];
  const messageLength = head.length + raw.length + (inline ? item.byteLength : 0);
  return Uint8Array.from([TAG_INITIALIZER, ...varint(messageLength), ...head, ...raw]);
}

function fieldLength(item: PlanItem, location: string): number {
  if (item.kind === 'verbatim') return item.end - item.start;
  return initializerPrefix(item, location).length + (item.external === undefined ? item.byteLength : 0);
}

export interface PlanInput {
  target: string;
  graphFrom: string;
  specs: TensorSpec[];
  tied: string[][];
  source: ModelSource;
  layout: OnnxLayout;
  /** Bytes of the model-level fields that will be written before the graph. */
  topLength: number;
  location: string;
  externalDataAbove: number;
  externalMinBytes: number;
}

export function planOnnxWrite(p: PlanInput): OnnxWritePlan {
  const sourceTensors = new Map(p.source.tensors.map((t) => [t.name, t]));
  const primaryOf = new Map<string, string>();
  for (const g of p.tied) for (const alias of g.slice(1)) primaryOf.set(alias, g[0]);

  const streamed: TensorItem[] = [];
  const covered = new Set<string>();
  for (const spec of p.specs) {
    const own = sourceTensors.get(spec.name);
    if (!own) {
      throw new ModelFileError(p.target, `tensor "${spec.name}" is not an initializer of the graph in ${p.graphFrom}`,
        'an ONNX output keeps the graph, so its weights must have the graph\'s names; write .safetensors or .pt instead');
    }
    if (spec.dtype !== own.dtype || spec.shape.join() !== own.shape.join()) {
      throw new ModelFileError(p.target, `tensor "${spec.name}" is ${spec.dtype} [${spec.shape.join(', ')}] but the graph in ${p.graphFrom} expects ${own.dtype} [${own.shape.join(', ')}]`,
        'an ONNX graph fixes each weight\'s dtype and shape; write .safetensors or .pt to change them');
    }
    if (primaryOf.has(spec.name)) continue; // written with its primary
    streamed.push({ kind: 'stream', name: spec.name, dtype: spec.dtype, dims: spec.shape, byteLength: own.byteLength });
    covered.add(spec.name);
    for (const [alias, primary] of primaryOf) {
      if (primary !== spec.name || !sourceTensors.has(alias)) continue;
      streamed.push({ kind: 'alias', name: alias, dtype: spec.dtype, dims: spec.shape, byteLength: own.byteLength });
      covered.add(alias);
    }
  }

  // Initializers the caller did not give keep their original values.
  const kept: PlanItem[] = [];
  for (const init of p.layout.initializers) {
    if (covered.has(init.name)) continue;
    if (init.dataLocation !== 1) {
      kept.push({ kind: 'verbatim', name: init.name, start: init.fieldStart, end: init.messageEnd });
      continue;
    }
    // External data is re-read: the source's data file is not the output's
    const t = sourceTensors.get(init.name);
    if (!t) throw new ModelFileError(p.graphFrom, `initializer "${init.name}" has external data of a type this app cannot copy`);
    kept.push({ kind: 'reencode', name: t.name, dtype: t.dtype, dims: t.shape, byteLength: t.byteLength, source: t });
  }

  const items = [...kept, ...streamed];
  const graphFieldsLength = p.layout.graphFields.reduce((n, r) => n + r.end - r.start, 0);
  const graphLengthNow = () => graphFieldsLength + items.reduce((n, it) => n + fieldLength(it, p.location), 0);
  const inlineGraph = graphLengthNow();
  let externalBytes = 0;
  if (p.topLength + 1 + varint(inlineGraph).length + inlineGraph > p.externalDataAbove) {
    for (const it of items) {
      if (it.kind === 'verbatim' || it.byteLength < p.externalMinBytes) continue;
      externalBytes = Math.ceil(externalBytes / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
      it.external = externalBytes;
      externalBytes += it.byteLength;
    }
  }
  return { kept, streamed, location: p.location, externalBytes, graphLength: graphLengthNow() };
}
