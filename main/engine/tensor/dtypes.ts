// Element types the engine knows, with their byte sizes and fast conversions to and from f32.
// Conversions work on typed-array views, never on per-element objects.

export const DTYPES = [
  'f64', 'f32', 'f16', 'bf16', 'f8_e4m3', 'f8_e5m2',
  'i64', 'i32', 'i16', 'i8', 'u64', 'u32', 'u16', 'u8', 'bool',
] as const;
export type DType = (typeof DTYPES)[number];

export const DTYPE_SIZE: Record<DType, number> = {
  f64: 8, f32: 4, f16: 2, bf16: 2, f8_e4m3: 1, f8_e5m2: 1,
  i64: 8, i32: 4, i16: 2, i8: 1, u64: 8, u32: 4, u16: 2, u8: 1, bool: 1,
};

export function isFloatDType(d: DType): boolean {
  return d === 'f64' || d === 'f32' || d === 'f16' || d === 'bf16' || d === 'f8_e4m3' || d === 'f8_e5m2';
}

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

// f16 -> f32 through a 65536-entry table: one lookup per element.
let F16_TABLE: Float32Array | null = null;
function f16Table(): Float32Array {
  if (F16_TABLE) return F16_TABLE;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : s * Infinity;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  F16_TABLE = t;
  return t;
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** f32 -> f16 bits, round to nearest even (as PyTorch and numpy do). */
export function f32ToF16Bits(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00; // overflow -> Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000;
    const shift = 14 - e;
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++; // may carry into exponent: still correct
  return sign | r;
}

/** f32 -> bf16 bits, round to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff)) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function f8e4m3ToF32(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >> 3) & 0xf;
  const m = b & 7;
  if (e === 15 && m === 7) return NaN; // e4m3fn: no Inf
  if (e === 0) return s * m * 2 ** -9;
  return s * (1 + m / 8) * 2 ** (e - 7);
}
function f8e5m2ToF32(b: number): number {
  const s = b & 0x80 ? -1 : 1;
  const e = (b >> 2) & 0x1f;
  const m = b & 3;
  if (e === 31) return m ? NaN : s * Infinity;
  if (e === 0) return s * m * 2 ** -16;
  return s * (1 + m / 4) * 2 ** (e - 15);
}

/** A view of `bytes` as the typed array of `dtype` (copies only when unaligned). */
function aligned(bytes: Uint8Array, size: number): ArrayBuffer {
  if (bytes.byteOffset % size === 0) return bytes.buffer as ArrayBuffer;
  // Copy through the Uint8Array constructor: Buffer.prototype.slice returns a view, not a copy.
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}
function off(bytes: Uint8Array, size: number): number {
  return bytes.byteOffset % size === 0 ? bytes.byteOffset : 0;
}

/** Raw little-endian bytes of `dtype` -> Float32Array (numbers for ints and bools). */
export function toFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  const size = DTYPE_SIZE[dtype];
  const n = Math.floor(bytes.byteLength / size);
  const out = new Float32Array(n);
  const buf = aligned(bytes, size);
  const o = off(bytes, size);
  switch (dtype) {
    case 'f32': out.set(new Float32Array(buf, o, n)); break;
    case 'f64': out.set(new Float64Array(buf, o, n)); break;
    case 'f16': { const t = f16Table(); const h = new Uint16Array(buf, o, n); for (let i = 0; i < n; i++) out[i] = t[h[i]]; break; }
    case 'bf16': { const h = new Uint16Array(buf, o, n); const u = new Uint32Array(out.buffer); for (let i = 0; i < n; i++) u[i] = h[i] << 16; break; }
    case 'f8_e4m3': for (let i = 0; i < n; i++) out[i] = f8e4m3ToF32(bytes[i]); break;
    case 'f8_e5m2': for (let i = 0; i < n; i++) out[i] = f8e5m2ToF32(bytes[i]); break;
    case 'i64': { const a = new BigInt64Array(buf, o, n); for (let i = 0; i < n; i++) out[i] = Number(a[i]); break; }
    case 'u64': { const a = new BigUint64Array(buf, o, n); for (let i = 0; i < n; i++) out[i] = Number(a[i]); break; }
    case 'i32': out.set(new Int32Array(buf, o, n)); break;
    case 'u32': out.set(new Uint32Array(buf, o, n)); break;
    case 'i16': out.set(new Int16Array(buf, o, n)); break;
    case 'u16': out.set(new Uint16Array(buf, o, n)); break;
    case 'i8': out.set(new Int8Array(buf, o, n)); break;
    case 'u8': case 'bool': out.set(bytes.subarray(0, n)); break;
  }
  return out;
}

/** Float32Array -> raw little-endian bytes of a float `dtype` (f32, f16, bf16, f64). */
export function fromFloat32(values: Float32Array, dtype: DType): Uint8Array {
  const n = values.length;
  switch (dtype) {
    case 'f32': return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'f64': { const a = Float64Array.from(values); return new Uint8Array(a.buffer); }
    case 'f16': { const h = new Uint16Array(n); for (let i = 0; i < n; i++) h[i] = f32ToF16Bits(values[i]); return new Uint8Array(h.buffer); }
    case 'bf16': {
      const h = new Uint16Array(n);
      const u = new Uint32Array(values.buffer, values.byteOffset, n);
      for (let i = 0; i < n; i++) {
        const x = u[i];
        h[i] = (x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) ? ((x >>> 16) | 0x40) : ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16);
      }
      return new Uint8Array(h.buffer);
    }
    default: throw new Error(`cannot write floats as ${dtype}`);
  }
}
