// Positioned reads of exactly N bytes, in chunks small enough for fs.read (which caps one call at 2 GiB).
import type { FileHandle } from 'node:fs/promises';

const CHUNK = 1 << 30;

export class ShortReadError extends Error {
  constructor(position: number, length: number) {
    super(`file ends early (wanted ${length} bytes at offset ${position}; truncated?)`);
    this.name = 'ShortReadError';
  }
}

/** `into`, when exactly `length` bytes long, is filled instead of a new buffer. */
export async function readAt(fh: FileHandle, position: number, length: number, into?: Uint8Array): Promise<Buffer> {
  // Not zero-filled: the loop below overwrites every byte or throws. Not from the shared pool either, so a
  // tensor's buffer is its own ArrayBuffer (it can be handed to a worker without copying).
  const buf = into && into.byteLength === length ? Buffer.from(into.buffer, into.byteOffset, length) : Buffer.allocUnsafeSlow(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, Math.min(CHUNK, length - got), position + got);
    if (bytesRead === 0) throw new ShortReadError(position, length);
    got += bytesRead;
  }
  return buf;
}
