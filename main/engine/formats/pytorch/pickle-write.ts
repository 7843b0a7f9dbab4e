// A minimal protocol-2 pickler for what the writer emits: a state dict of tensors, spelled with only
// the opcodes and globals torch.load(weights_only=True) accepts (and our own unpickler reads back).

export class PickleWriter {
  private chunks: Buffer[] = [];
  private nextMemo = 0;

  constructor() {
    this.raw(Buffer.from([0x80, 0x02])); // PROTO 2
  }

  private raw(b: Buffer): void {
    this.chunks.push(b);
  }
  op(code: string): this {
    this.raw(Buffer.from(code, 'latin1'));
    return this;
  }
  global(module: string, name: string): this {
    return this.op(`c${module}\n${name}\n`);
  }
  int(v: number): this {
    if (!Number.isSafeInteger(v)) throw new Error(`cannot pickle ${v} as an int`);
    if (v >= 0 && v < 256) this.raw(Buffer.from([0x4b, v])); // BININT1
    else if (v >= 0 && v < 65536) { const b = Buffer.alloc(3); b[0] = 0x4d; b.writeUInt16LE(v, 1); this.raw(b); } // BININT2
    else if (v >= -(2 ** 31) && v < 2 ** 31) { const b = Buffer.alloc(5); b[0] = 0x4a; b.writeInt32LE(v, 1); this.raw(b); } // BININT
    else { // LONG1, 8 bytes two's complement
      const b = Buffer.alloc(10); b[0] = 0x8a; b[1] = 8; b.writeBigInt64LE(BigInt(v), 2); this.raw(b);
    }
    return this;
  }
  str(s: string): this {
    const body = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58; // BINUNICODE
    h.writeUInt32LE(body.length, 1);
    this.raw(h);
    this.raw(body);
    return this;
  }
  bool(v: boolean): this {
    return this.op(v ? '\x88' : '\x89');
  }
  tuple(items: number[]): this {
    if (items.length === 0) return this.op(')');
    this.op('(');
    for (const x of items) this.int(x);
    return this.op('t');
  }
  /** BINPUT/LONG_BINPUT of the top of stack; returns the memo index for get(). */
  put(): number {
    const i = this.nextMemo++;
    if (i < 256) this.raw(Buffer.from([0x71, i]));
    else { const b = Buffer.alloc(5); b[0] = 0x72; b.writeUInt32LE(i, 1); this.raw(b); }
    return i;
  }
  get(i: number): this {
    if (i < 256) this.raw(Buffer.from([0x68, i]));
    else { const b = Buffer.alloc(5); b[0] = 0x6a; b.writeUInt32LE(i, 1); this.raw(b); }
    return this;
  }
  finish(): Buffer {
    this.op('.');
    return Buffer.concat(this.chunks);
  }
}
