// A small graph builder over the plain ModelProto objects of proto.ts: inputs, initializers,
// nodes with typed attributes, unique value names, outputs. Everything we build targets one opset.
import {
  AttributeType, TensorDataType,
  type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './proto';

/** Opset we emit: ReduceSum takes axes as an input (13+), ScatterElements has reduction=add (16+),
 *  ReduceMean still takes axes as an attribute (< 18). onnxruntime 1.30 runs it. */
export const OPSET = 17;
export const IR_VERSION = 8;

/** Attribute values. Plain integers become INT, other numbers FLOAT; wrap in {float} to force FLOAT. */
export type AttrValue =
  | number | number[] | string | GraphProto | TensorProto
  | { float: number } | { floats: number[] };
export type Attrs = Record<string, AttrValue | undefined>;

export type Dim = number | string;

function isGraph(v: object): v is GraphProto { return 'node' in v && 'initializer' in v; }
function isTensor(v: object): v is TensorProto { return 'dataType' in v && 'dims' in v; }

export function toAttribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v.map((x) => Math.trunc(x)) };
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  if (isGraph(v)) return { name, type: AttributeType.GRAPH, g: v };
  if (isTensor(v)) return { name, type: AttributeType.TENSOR, t: v };
  throw new Error(`attribute ${name}: unsupported value`);
}

/** Read an attribute off a node as a JS value (ints/floats/strings), or the fallback when absent. */
export function getAttr(node: NodeProto, name: string, fallback: number): number;
export function getAttr(node: NodeProto, name: string, fallback: number[]): number[];
export function getAttr(node: NodeProto, name: string, fallback: string): string;
export function getAttr<T extends number | number[] | string>(node: NodeProto, name: string, fallback: T): T {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) return fallback;
  switch (a.type) {
    case AttributeType.INT: return a.i as T;
    case AttributeType.FLOAT: return a.f as T;
    case AttributeType.INTS: return (a.ints ?? []) as T;
    case AttributeType.FLOATS: return (a.floats ?? []) as T;
    case AttributeType.STRING: return new TextDecoder().decode(a.s) as T;
    default: return fallback;
  }
}

export function valueInfo(name: string, elemType: TensorDataType, shape?: Dim[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: shape?.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
  };
}

export function floatTensor(name: string, data: Float32Array, dims: number[]): TensorProto {
  return { name, dataType: TensorDataType.FLOAT, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
export function int64Tensor(name: string, data: number[] | BigInt64Array, dims: number[]): TensorProto {
  const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((x) => BigInt(x)));
  return { name, dataType: TensorDataType.INT64, dims, rawData: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) };
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  /** Every name taken (fresh names avoid these), including names only reserved from other scopes. */
  private readonly used = new Set<string>();
  /** Names declared here as inputs, initializers or claimed parameter names. */
  private readonly declared = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly constCache = new Map<string, string>();

  constructor(readonly name = 'graph', private readonly prefix = '') {}

  /** Declare a name exactly as given (inputs, parameters with PyTorch names); throws when declared twice. */
  claim(name: string): string {
    if (this.declared.has(name)) throw new Error(`graph builder: name "${name}" is already declared`);
    this.declared.add(name);
    this.used.add(name);
    return name;
  }

  /** A fresh value name built from a hint, never colliding with claimed or generated names. */
  fresh(hint: string): string {
    let n = this.counters.get(hint) ?? 0;
    let name: string;
    do { name = `${this.prefix}${hint}_${n++}`; } while (this.used.has(name));
    this.counters.set(hint, n);
    this.used.add(name);
    return name;
  }

  /** Mark names as used without declaring anything (values coming from an enclosing graph). */
  reserve(names: Iterable<string>): void { for (const n of names) this.used.add(n); }

  input(name: string, elemType: TensorDataType, shape?: Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  initializer(t: TensorProto): string {
    this.claim(t.name);
    this.initializers.push(t);
    return t.name;
  }

  /** A float constant initializer (deduplicated by value for small ones). */
  constF(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    const key = values.length <= 16 ? `f${dims.join('x')}:${Array.from(values).join(',')}` : '';
    const hit = key && this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const');
    this.initializers.push(floatTensor(name, Float32Array.from(values), dims));
    if (key) this.constCache.set(key, name);
    return name;
  }

  /** A scalar float constant. */
  scalar(v: number): string { return this.constF([v], []); }

  constI64(values: number[], dims: number[] = [values.length]): string {
    const key = values.length <= 16 ? `i${dims.join('x')}:${values.join(',')}` : '';
    const hit = key && this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh('const');
    this.initializers.push(int64Tensor(name, values, dims));
    if (key) this.constCache.set(key, name);
    return name;
  }

  /** Add a node; returns its output names (fresh unless given). */
  node(opType: string, inputs: string[], attrs: Attrs = {}, outputs: number | string[] = 1, domain?: string): string[] {
    const outs = typeof outputs === 'number'
      ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()))
      : outputs.map((o) => { if (o) this.used.add(o); return o; });
    const attribute = Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => toAttribute(k, v!));
    this.nodes.push({ name: this.fresh(`n_${opType}`), opType, input: inputs, output: outs, attribute, ...(domain ? { domain } : {}) });
    return outs;
  }

  /** Add a node with one output and return that output's name. */
  op(opType: string, inputs: string[], attrs: Attrs = {}, output?: string): string {
    return this.node(opType, inputs, attrs, output ? [output] : 1)[0];
  }

  /** Copy an existing node verbatim (names kept). */
  addNode(n: NodeProto): void {
    for (const o of n.output) if (o) this.used.add(o);
    if (n.name) this.used.add(n.name);
    this.nodes.push(n);
  }

  output(name: string, elemType?: TensorDataType, shape?: Dim[]): void {
    this.outputs.push(elemType === undefined ? { name } : valueInfo(name, elemType, shape));
  }

  toGraph(): GraphProto {
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs, valueInfo: [] };
  }

  toModel(metadata: Record<string, string> = {}): ModelProto {
    return buildModel(this.toGraph(), metadata);
  }
}

export function buildModel(graph: GraphProto, metadata: Record<string, string> = {}): ModelProto {
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'merge-studio',
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
}
