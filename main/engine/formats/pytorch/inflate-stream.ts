// Raw-deflate data inflated piece by piece from a span of the file, so a caller can stop as soon as it has
// the bytes it needs (or check a CRC) without ever holding the whole record.
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { readAt } from './read-at';

/** Compressed bytes are read in pieces of this size. */
const READ_PIECE = 1 << 20;

async function* compressedPieces(fh: FileHandle, start: number, length: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < length; at += READ_PIECE) yield await readAt(fh, start + at, Math.min(READ_PIECE, length - at));
}

/**
 * The inflated output of the deflate stream stored at [start, start + length) of the file, in pieces.
 * Leaving the loop early stops reading and inflating; damaged data throws zlib's error.
 */
export async function* inflatedPieces(fh: FileHandle, start: number, length: number): AsyncGenerator<Buffer> {
  const source = Readable.from(compressedPieces(fh, start, length));
  const inflater = createInflateRaw();
  source.on('error', (err) => inflater.destroy(err));
  source.pipe(inflater);
  try {
    for await (const piece of inflater) yield piece as Buffer;
  } finally {
    source.destroy();
    inflater.destroy();
  }
}
