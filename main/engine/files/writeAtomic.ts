// Small files written whole: to a temp file beside the target (see temp-files.ts), then renamed, so a
// crash never leaves half a file where the user expects their recipe or run record. On failure the temp
// file is removed and the error names the file (and, for a full disk, the space it needed).
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeWriteError } from './disk-errors';
import { tempPathFor } from './temp-files';

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { mkdir?: boolean } = {}): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    if (options.mkdir !== false) await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw describeWriteError(file, err, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }
}
