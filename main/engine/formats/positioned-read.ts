// Positioned reads of exactly N bytes; a short read means the file shrank or is truncated.
import type { promises as fs } from 'node:fs';
import { ModelFileError } from './types';

export async function readExact(handle: fs.FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new ModelFileError(file, `ends at byte ${position + done}, but ${length} bytes were expected from byte ${position}`,
        'the file is truncated or changed while open; copy or download it again');
    }
    done += bytesRead;
  }
  return out;
}
