// Protocol-buffer wire format: the minimal reader and writer the ONNX codec is built on.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Growable byte sink. Nested messages are encoded into their own writer and copied once. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    if (typeof v === 'number' && v >= 0 && v < 2 ** 31) {
      // fast path for small non-negative numbers
      this.ensure(5);
      let n = v;
      while (n > 0x7f) { this.buf[this.pos++] = (n & 0x7f) | 0x80; n >>>= 7; }
      this.buf[this.pos++] = n;
      return;
    }
    this.ensure(10);
    while (x > 0x7fn) { this.buf[this.pos++] = Number(x & 0x7fn) | 0x80; x >>= 7n; }
    this.buf[this.pos++] = Number(x);
  }
  tag(field: number, wire: number): void { this.varint((field << 3) | wire); }
  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
  string(field: number, s: string | undefined): void {
    if (s === undefined || s === '') return;
    this.bytes(field, textEncoder.encode(s));
  }
  int(field: number, v: number | bigint | undefined): void {
    if (v === undefined) return;
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }
  float(field: number, v: number): void {
    this.tag(field, WIRE_I32);
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }
  message(field: number, encode: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    encode(inner);
    this.bytes(field, inner.finish());
  }
  packedInts(field: number, values: readonly (number | bigint)[]): void {
    if (!values.length) return;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }
  packedFloats(field: number, values: ArrayLike<number>): void {
    if (!values.length) return;
    const f = Float32Array.from(values as ArrayLike<number>);
    this.bytes(field, new Uint8Array(f.buffer));
  }
  packedDoubles(field: number, values: ArrayLike<number>): void {
    if (!values.length) return;
    const f = Float64Array.from(values as ArrayLike<number>);
    this.bytes(field, new Uint8Array(f.buffer));
  }
  finish(): Uint8Array { return this.buf.subarray(0, this.pos); }
}

export class ProtoError extends Error {
  constructor(message: string) { super(message); this.name = 'ProtoError'; }
}

/** Reads one message's fields. Length-delimited values come back as views (no copy). */
export class ProtoReader {
  pos: number;
  private readonly view: DataView;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  done(): boolean { return this.pos >= this.end; }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }
  /** A varint as a JS number (values above 2^53 lose precision; fine for sizes and enums). */
  uint(): number {
    // fast path
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (!(b & 0x80)) return result;
      mul *= 128;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }
  int64(): number { return Number(BigInt.asIntN(64, this.varint())); }
  tag(): { field: number; wire: number } {
    const t = this.uint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new ProtoError('field number 0');
    return { field, wire: t & 7 };
  }
  lengthDelimited(): Uint8Array {
    const len = this.uint();
    if (len > this.end - this.pos) throw new ProtoError(`length ${len} runs past the end of the message`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  string(): string { return textDecoder.decode(this.lengthDelimited()); }
  float(): number {
    if (this.pos + 4 > this.end) throw new ProtoError('truncated float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  double(): number {
    if (this.pos + 8 > this.end) throw new ProtoError('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_I64: this.pos += 8; break;
      case WIRE_LEN: this.lengthDelimited(); return;
      case WIRE_I32: this.pos += 4; break;
      default: throw new ProtoError(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new ProtoError('truncated field');
  }
  /** Repeated int64 in packed or unpacked form. */
  int64s(wire: number, into: number[]): void {
    if (wire === WIRE_LEN) {
      const len = this.peekLen();
      const r = new ProtoReader(this.buf, this.pos, this.pos + len);
      this.pos = r.end;
      while (!r.done()) into.push(r.int64());
    } else into.push(this.int64());
  }
  floats(wire: number, into: number[]): void {
    if (wire === WIRE_LEN) {
      const d = this.lengthDelimited();
      if (d.length % 4) throw new ProtoError('packed floats not a multiple of 4 bytes');
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      for (let i = 0; i < d.length; i += 4) into.push(v.getFloat32(i, true));
    } else into.push(this.float());
  }
  doubles(wire: number, into: number[]): void {
    if (wire === WIRE_LEN) {
      const d = this.lengthDelimited();
      if (d.length % 8) throw new ProtoError('packed doubles not a multiple of 8 bytes');
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      for (let i = 0; i < d.length; i += 8) into.push(v.getFloat64(i, true));
    } else into.push(this.double());
  }
  private peekLen(): number {
    const len = this.uint();
    if (len > this.end - this.pos) throw new ProtoError(`length ${len} runs past the end of the message`);
    return len;
  }
}
