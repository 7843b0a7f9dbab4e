// A zip reader by positioned reads: the central directory is parsed from the end of the file, and an
// entry's bytes are read only when asked. Stored entries can be read in ranges without touching the
// rest; deflated ones are inflated from their start only as far as a read needs (the whole entry under a
// size cap). Names with `..` and bombs are refused.
import { promisify } from 'node:util';
import { crc32, inflateRaw } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import { readAt } from './read-at';
import { inflatedPieces } from './inflate-stream';
import { crc32Offloaded } from '../offload-hash';

const inflateRawAsync = promisify(inflateRaw);

export interface ZipEntry {
  name: string;
  method: number; // 0 stored, 8 deflate
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  /** Largest uncompressed size accepted for an entry that must be inflated in memory. */
  maxInflateBytes: number;
  /** Uncompressed/compressed above this (for entries over 1 MiB) is treated as a bomb. */
  maxRatio: number;
}

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD_SIG = 0x06054b50;
/** Stored entries are checked in reads of this size. */
const VERIFY_CHUNK = 16 << 20;
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;

export class ZipArchive {
  private readonly dataStart = new Map<ZipEntry, number>();
  private readonly byName = new Map<string, ZipEntry>();

  private constructor(
    private readonly fh: FileHandle,
    readonly fileSize: number,
    readonly entries: ZipEntry[],
    private readonly limits: ZipLimits,
  ) {
    for (const e of entries) if (!this.byName.has(e.name)) this.byName.set(e.name, e);
  }

  static async open(fh: FileHandle, fileSize: number, limits: ZipLimits): Promise<ZipArchive> {
    const { cdOffset, cdSize, count } = await findCentralDirectory(fh, fileSize);
    if (cdOffset + cdSize > fileSize) throw new ZipFormatError('central directory lies past the end of the file (truncated?)');
    if (count > cdSize / 46) throw new ZipFormatError(`central directory claims ${count} entries but is only ${cdSize} bytes`);
    const cd = await readAt(fh, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH_SIG) throw new ZipFormatError(`central directory entry ${i} is damaged`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc32 = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new ZipFormatError(`central directory entry ${i} runs past its end`);
      const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
      // zip64 extra field: the 64-bit values appear in order for each field saturated at 0xffffffff
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = cd.readUInt16LE(e);
        const len = cd.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          const next = (): number => {
            if (q + 8 > e + 4 + len) throw new ZipFormatError(`zip64 field of ${name} is short`);
            const v = Number(cd.readBigUInt64LE(q));
            q += 8;
            return v;
          };
          if (size === 0xffffffff) size = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
        }
        e += 4 + len;
      }
      checkName(name);
      if (flags & 0x1) throw new ZipFormatError(`entry ${name} is encrypted`);
      if (method !== 0 && method !== 8) throw new ZipFormatError(`entry ${name} uses compression method ${method}; only stored and deflate are supported`);
      if (method === 0 && compressedSize !== size) throw new ZipFormatError(`stored entry ${name} has different compressed and uncompressed sizes`);
      if (localHeaderOffset + 30 + compressedSize > fileSize) throw new ZipFormatError(`entry ${name} lies past the end of the file (truncated?)`);
      if (method === 8 && size > 1 << 20 && size / Math.max(1, compressedSize) > limits.maxRatio) {
        throw new ZipFormatError(`entry ${name} inflates ${compressedSize} bytes to ${size} (ratio over ${limits.maxRatio}): refused as a zip bomb`);
      }
      entries.push({ name, method, compressedSize, size, crc32, localHeaderOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return new ZipArchive(fh, fileSize, entries, limits);
  }

  find(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Offset of the entry's first data byte (after its local header). */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const cached = this.dataStart.get(entry);
    if (cached !== undefined) return cached;
    const h = await readAt(this.fh, entry.localHeaderOffset, 30);
    if (h.readUInt32LE(0) !== LFH_SIG) throw new ZipFormatError(`local header of ${entry.name} is damaged`);
    const start = entry.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (start + entry.compressedSize > this.fileSize) throw new ZipFormatError(`entry ${entry.name} lies past the end of the file (truncated?)`);
    this.dataStart.set(entry, start);
    return start;
  }

  /** The whole entry, uncompressed; `maxBytes` caps what a header may make us allocate. */
  async read(entry: ZipEntry, maxBytes = this.limits.maxInflateBytes, into?: Uint8Array): Promise<Uint8Array> {
    if (entry.size > maxBytes) throw new ZipFormatError(`entry ${entry.name} declares ${entry.size} bytes, over the ${maxBytes}-byte limit`);
    const start = await this.dataOffset(entry);
    const raw = await readAt(this.fh, start, entry.compressedSize, entry.method === 0 ? into : undefined);
    if (entry.method === 0) return this.checked(entry, raw);
    let out: Buffer;
    try {
      out = await inflateRawAsync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (err) {
      throw new ZipFormatError(`entry ${entry.name} does not inflate (${(err as Error).message})`);
    }
    if (out.length !== entry.size) throw new ZipFormatError(`entry ${entry.name} inflates to ${out.length} bytes, not the ${entry.size} declared`);
    return this.checked(entry, out);
  }

  /**
   * Whole-entry reads are checked against the CRC (0 means the writer did not compute one); bytes read
   * into shared memory are checked in a worker thread (see offload-hash.ts), the others right here.
   */
  private async checked(entry: ZipEntry, data: Uint8Array): Promise<Uint8Array> {
    if (entry.crc32 !== 0 && (await crc32Offloaded(data)) !== entry.crc32) throw new ZipFormatError(`entry ${entry.name} fails its CRC check (damaged)`);
    return data;
  }

  /**
   * Checks the entry's bytes against its CRC-32 without holding them all (stored entries are read in
   * chunks); a problem in words, or undefined when it matches (or the writer recorded no CRC).
   */
  async verify(entry: ZipEntry): Promise<string | undefined> {
    if (entry.crc32 === 0 && entry.size > 0) return undefined;
    if (entry.method !== 0) return this.verifyDeflated(entry);
    const start = await this.dataOffset(entry);
    let crc = 0;
    for (let at = 0; at < entry.size; at += VERIFY_CHUNK) {
      crc = crc32(await readAt(this.fh, start + at, Math.min(VERIFY_CHUNK, entry.size - at)), crc);
    }
    return crc === entry.crc32 ? undefined
      : `entry ${entry.name} fails its CRC-32 check (its bytes give ${hex(crc)}, the archive records ${hex(entry.crc32)})`;
  }

  /** A deflated entry's CRC-32 and size, inflated piece by piece (never held whole). */
  private async verifyDeflated(entry: ZipEntry): Promise<string | undefined> {
    let crc = 0;
    let size = 0;
    try {
      for await (const piece of inflatedPieces(this.fh, await this.dataOffset(entry), entry.compressedSize)) {
        size += piece.length;
        if (size > entry.size) return `entry ${entry.name} inflates to more than the ${entry.size} bytes declared`;
        crc = crc32(piece, crc);
      }
    } catch (err) {
      if (err instanceof ZipFormatError) return err.message;
      return `entry ${entry.name} does not inflate (${(err as Error).message})`;
    }
    if (size !== entry.size) return `entry ${entry.name} inflates to ${size} bytes, not the ${entry.size} declared`;
    return crc === entry.crc32 ? undefined
      : `entry ${entry.name} fails its CRC-32 check (its bytes give ${hex(crc)}, the archive records ${hex(entry.crc32)})`;
  }

  /**
   * The first `length` bytes of a deflated entry, inflating no further than that; when that is the whole
   * entry, its size and CRC are checked too.
   */
  async inflatePrefix(entry: ZipEntry, length: number): Promise<Uint8Array> {
    if (length > entry.size) throw new ZipFormatError(`read past the end of entry ${entry.name}`);
    const whole = length === entry.size;
    const out = Buffer.allocUnsafeSlow(length);
    let got = 0;
    try {
      for await (const piece of inflatedPieces(this.fh, await this.dataOffset(entry), entry.compressedSize)) {
        const n = Math.min(piece.length, length - got);
        piece.copy(out, got, 0, n);
        got += n;
        if (whole && n < piece.length) throw new ZipFormatError(`entry ${entry.name} inflates to more than the ${entry.size} bytes declared`);
        if (got === length && !whole) break;
      }
    } catch (err) {
      if (err instanceof ZipFormatError) throw err;
      throw new ZipFormatError(`entry ${entry.name} does not inflate (${(err as Error).message})`);
    }
    if (got < length) throw new ZipFormatError(`entry ${entry.name} inflates to ${got} bytes, not the ${entry.size} declared`);
    return whole ? this.checked(entry, out) : out;
  }

  /** Bytes [offset, offset+length) of the uncompressed entry; a positioned read when stored. */
  async readRange(entry: ZipEntry, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (offset < 0 || offset + length > entry.size) throw new ZipFormatError(`read past the end of entry ${entry.name}`);
    if (entry.method === 0) {
      if (offset === 0 && length === entry.size) return this.read(entry, entry.size, into);
      return readAt(this.fh, (await this.dataOffset(entry)) + offset, length, into);
    }
    // a deflated record (a re-packed archive): inflated from its start up to the end of the range only
    const prefix = await this.inflatePrefix(entry, offset + length);
    return prefix.subarray(offset, offset + length);
  }
}

/** Refuse names that could escape a folder if anyone ever extracted the archive. */
function checkName(name: string): void {
  const parts = name.split(/[\\/]/);
  if (parts.includes('..')) throw new ZipFormatError(`entry name "${name}" contains "..": refused`);
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw new ZipFormatError(`entry name "${name}" is an absolute path: refused`);
}

async function findCentralDirectory(fh: FileHandle, fileSize: number): Promise<{ cdOffset: number; cdSize: number; count: number }> {
  if (fileSize < 22) throw new ZipFormatError('too short to be a zip archive (truncated?)');
  const tailLen = Math.min(fileSize, 22 + 0xffff);
  const tail = await readAt(fh, fileSize - tailLen, tailLen);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) { at = i; break; }
  }
  if (at < 0) throw new ZipFormatError('no end-of-central-directory record (truncated or not a zip)');
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  const eocdPos = fileSize - tailLen + at;
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocdPos >= 20) {
    const loc = await readAt(fh, eocdPos - 20, 20);
    if (loc.readUInt32LE(0) === ZIP64_LOCATOR_SIG) {
      const z64 = Number(loc.readBigUInt64LE(8));
      if (z64 + 56 > fileSize) throw new ZipFormatError('zip64 end record lies past the end of the file');
      const rec = await readAt(fh, z64, 56);
      if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new ZipFormatError('zip64 end record is damaged');
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
  }
  return { cdOffset, cdSize, count };
}
