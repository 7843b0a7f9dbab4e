// Initializer values stored in TensorProto's typed fields (float_data, int32_data, …) turned into
// the same little-endian bytes raw_data would hold. These fields only hold small tensors in practice.
import { ProtoReader, WIRE_LEN } from '../../onnx/wire';
import { TensorDataType } from '../../onnx/proto';
import { DTYPE_SIZE, type DType } from '../../tensor/dtypes';

/** Which TensorProto field carries each element type, per onnx.proto. */
function fieldFor(dataType: TensorDataType): number {
  switch (dataType) {
    case TensorDataType.FLOAT: return 4;
    case TensorDataType.INT64: return 7;
    case TensorDataType.DOUBLE: return 10;
    case TensorDataType.UINT32: case TensorDataType.UINT64: return 11;
    default: return 5; // int32_data: INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16, FLOAT8*
  }
}

/** Collects the values of one repeated field, packed or not, as varints or fixed-width numbers. */
function collect(message: Uint8Array, field: number, fixed: 0 | 4 | 8): { ints: bigint[]; floats: number[] } {
  const ints: bigint[] = [];
  const floats: number[] = [];
  const r = new ProtoReader(message);
  while (!r.done()) {
    const t = r.tag();
    if (t.field !== field) { r.skip(t.wire); continue; }
    if (fixed === 4) r.floats(t.wire, floats);
    else if (fixed === 8) r.doubles(t.wire, floats);
    else if (t.wire === WIRE_LEN) {
      const body = r.lengthDelimited();
      const inner = new ProtoReader(body);
      while (!inner.done()) ints.push(inner.varint());
    } else ints.push(r.varint());
  }
  return { ints, floats };
}

/** Bytes of `count` elements of `dtype` from a TensorProto message's typed field; throws on a count mismatch. */
export function typedFieldBytes(message: Uint8Array, dataType: TensorDataType, dtype: DType, count: number): Uint8Array {
  const field = fieldFor(dataType);
  const fixed = field === 4 ? 4 : field === 10 ? 8 : 0;
  const { ints, floats } = collect(message, field, fixed);
  const n = fixed ? floats.length : ints.length;
  if (n !== count) throw new Error(`holds ${n} values in its typed field but its shape needs ${count}`);
  const out = new Uint8Array(count * DTYPE_SIZE[dtype]);
  const buf = out.buffer;
  switch (dtype) {
    case 'f32': new Float32Array(buf).set(floats); break;
    case 'f64': new Float64Array(buf).set(floats); break;
    case 'i64': { const a = new BigInt64Array(buf); ints.forEach((v, i) => { a[i] = BigInt.asIntN(64, v); }); break; }
    case 'u64': { const a = new BigUint64Array(buf); ints.forEach((v, i) => { a[i] = BigInt.asUintN(64, v); }); break; }
    case 'i32': { const a = new Int32Array(buf); ints.forEach((v, i) => { a[i] = Number(BigInt.asIntN(32, v)); }); break; }
    case 'u32': { const a = new Uint32Array(buf); ints.forEach((v, i) => { a[i] = Number(BigInt.asUintN(32, v)); }); break; }
    case 'i16': { const a = new Int16Array(buf); ints.forEach((v, i) => { a[i] = Number(BigInt.asIntN(16, v)); }); break; }
    // f16 / bf16 travel as their 16-bit patterns; f8 as their byte
    case 'u16': case 'f16': case 'bf16': { const a = new Uint16Array(buf); ints.forEach((v, i) => { a[i] = Number(BigInt.asUintN(16, v)); }); break; }
    case 'i8': { const a = new Int8Array(buf); ints.forEach((v, i) => { a[i] = Number(BigInt.asIntN(8, v)); }); break; }
    case 'u8': case 'bool': case 'f8_e4m3': case 'f8_e5m2': ints.forEach((v, i) => { out[i] = Number(BigInt.asUintN(8, v)); }); break;
  }
  return out;
}
