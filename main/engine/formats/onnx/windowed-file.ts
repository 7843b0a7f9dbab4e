// Positioned reads through one small moving window, so scanning protobuf field headers across a
// multi-GB file costs a few reads per field instead of loading the file. The window's buffer is
// reused, so scanning allocates next to nothing however big the model is.
import type { promises as fs } from 'node:fs';
import { readExact } from '../positioned-read';
import { ModelFileError } from '../types';

const WINDOW_BYTES = 64 * 1024;
/** Files up to this size are read whole on the first access: one read instead of many. */
const WHOLE_FILE_BYTES = 8 * 1024 * 1024;

export class WindowedFile {
  private readonly buffer: Uint8Array;
  private windowStart = 0;
  private windowLength = 0;

  constructor(readonly handle: fs.FileHandle, readonly file: string, readonly size: number) {
    this.buffer = new Uint8Array(size <= WHOLE_FILE_BYTES ? size : WINDOW_BYTES);
  }

  /** `length` bytes from `position`: a view valid until the next call (copy it to keep it). */
  async view(position: number, length: number): Promise<Uint8Array> {
    const offset = position - this.windowStart;
    if (offset >= 0 && offset + length <= this.windowLength) return this.buffer.subarray(offset, offset + length);
    if (length > this.buffer.length) return readExact(this.handle, this.file, position, length);
    const start = this.buffer.length === this.size ? 0 : position;
    const want = Math.min(this.buffer.length, this.size - start);
    if (want < length + (position - start)) {
      throw new ModelFileError(this.file, `ends at byte ${this.size}, but ${length} bytes were expected from byte ${position}`,
        'the file is truncated; copy or download it again');
    }
    let done = 0;
    while (done < want) {
      const { bytesRead } = await this.handle.read(this.buffer, done, want - done, start + done);
      if (bytesRead === 0) throw new ModelFileError(this.file, `ends at byte ${start + done}, earlier than its size said`, 'the file changed while open; try again');
      done += bytesRead;
    }
    this.windowStart = start;
    this.windowLength = want;
    return this.buffer.subarray(position - start, position - start + length);
  }

  /** Like view(), but a private copy. */
  async bytes(position: number, length: number): Promise<Uint8Array> {
    return (await this.view(position, length)).slice();
  }
}
