// A streaming zip writer for torch.save-style archives: stored (uncompressed) entries whose data
// starts on a 64-byte boundary like torch's, CRC-32 from node:zlib, zip64 records when sizes need them.
import { crc32Offloaded } from '../offload-hash';

/** Where the archive goes: an append-only sink that knows how many bytes it has taken. */
export interface ByteSink {
  readonly position: number;
  write(bytes: Uint8Array): Promise<void>;
}

const ALIGN = 64;
const U32_MAX = 0xffffffff;
/** fs.write takes at most 2 GiB per call; bigger tensors go in pieces. */
const WRITE_CHUNK = 1 << 30;

interface Written {
  name: Buffer;
  offset: number;
  size: number;
  crc: number;
}

export class ZipStreamWriter {
  private readonly written: Written[] = [];

  constructor(private readonly sink: ByteSink) {}

  private get pos(): number {
    return this.sink.position;
  }
  private write(buf: Uint8Array): Promise<void> {
    return this.sink.write(buf);
  }

  /** Writes one whole entry: local header (with its CRC), then the data. */
  async addEntry(name: string, data: Uint8Array): Promise<void> {
    const nameBuf = Buffer.from(name, 'utf8');
    const zip64 = data.length >= U32_MAX;
    const offset = this.pos;
    const z64Len = zip64 ? 20 : 0;
    const fixed = 30 + nameBuf.length + z64Len;
    const pad = (ALIGN - ((offset + fixed + 4) % ALIGN)) % ALIGN; // +4: the padding field's own header
    const crc = await crc32Offloaded(data); // in a worker when the bytes lie in shared memory
    const header = Buffer.alloc(fixed + 4 + pad);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(0x800, 6); // names are UTF-8
    header.writeUInt16LE(0, 8); // stored
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(0x21, 12); // 1980-01-01: fixed, so output is reproducible
    header.writeUInt32LE(crc, 14);
    header.writeUInt32LE(zip64 ? U32_MAX : data.length, 18);
    header.writeUInt32LE(zip64 ? U32_MAX : data.length, 22);
    header.writeUInt16LE(nameBuf.length, 26);
    header.writeUInt16LE(z64Len + 4 + pad, 28);
    nameBuf.copy(header, 30);
    let e = 30 + nameBuf.length;
    if (zip64) {
      header.writeUInt16LE(0x0001, e);
      header.writeUInt16LE(16, e + 2);
      header.writeBigUInt64LE(BigInt(data.length), e + 4);
      header.writeBigUInt64LE(BigInt(data.length), e + 12);
      e += 20;
    }
    header.writeUInt16LE(0x4246, e); // 'FB': torch's padding field
    header.writeUInt16LE(pad, e + 2);
    await this.write(header);
    for (let o = 0; o < data.length; o += WRITE_CHUNK) await this.write(data.subarray(o, o + WRITE_CHUNK));
    this.written.push({ name: nameBuf, offset, size: data.length, crc });
  }

  /** Central directory and end records; the caller closes the file. */
  async finish(): Promise<void> {
    const cdStart = this.pos;
    for (const w of this.written) {
      const needs64 = w.size >= U32_MAX || w.offset >= U32_MAX;
      const extra = needs64 ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
      if (needs64) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(24, 2);
        extra.writeBigUInt64LE(BigInt(w.size), 4);
        extra.writeBigUInt64LE(BigInt(w.size), 12);
        extra.writeBigUInt64LE(BigInt(w.offset), 20);
      }
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(needs64 ? 45 : 20, 4);
      h.writeUInt16LE(needs64 ? 45 : 20, 6);
      h.writeUInt16LE(0x800, 8);
      h.writeUInt16LE(0, 10);
      h.writeUInt16LE(0, 12);
      h.writeUInt16LE(0x21, 14);
      h.writeUInt32LE(w.crc, 16);
      h.writeUInt32LE(needs64 ? U32_MAX : w.size, 20);
      h.writeUInt32LE(needs64 ? U32_MAX : w.size, 24);
      h.writeUInt16LE(w.name.length, 28);
      h.writeUInt16LE(extra.length, 30);
      h.writeUInt32LE(needs64 ? U32_MAX : w.offset, 42);
      await this.write(Buffer.concat([h, w.name, extra]));
    }
    const cdSize = this.pos - cdStart;
    const count = this.written.length;
    if (count >= 0xffff || cdStart >= U32_MAX || cdSize >= U32_MAX) {
      const z64At = this.pos;
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(0x06064b50, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(count), 24);
      rec.writeBigUInt64LE(BigInt(count), 32);
      rec.writeBigUInt64LE(BigInt(cdSize), 40);
      rec.writeBigUInt64LE(BigInt(cdStart), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(z64At), 8);
      loc.writeUInt32LE(1, 16);
      await this.write(Buffer.concat([rec, loc]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(Math.min(cdSize, U32_MAX), 12);
    end.writeUInt32LE(Math.min(cdStart, U32_MAX), 16);
    await this.write(end);
  }
}
