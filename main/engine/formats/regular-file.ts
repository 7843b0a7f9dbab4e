// Model files are opened only when they are regular files. A FIFO named `x.safetensors` would block open()
// until some writer appeared (a hang), and a device (/dev/zero, /dev/urandom) would read forever; both are
// refused from their stat, before any read. The open itself is non-blocking, and the opened handle is
// checked again, so a file swapped for a FIFO between the two steps cannot block either.
import { constants, promises as fs, type Stats } from 'node:fs';
import { ModelFileError } from './types';

/** O_NONBLOCK where the platform has it (not on Windows, which has no FIFOs at a path to open). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a non-regular file is, in words. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function refuse(file: string, st: Stats, role: string): never {
  if (st.isDirectory() && role === 'model file') throw new ModelFileError(file, 'is a folder, not a model file', 'pick the model file inside it');
  throw new ModelFileError(file, `is ${fileKind(st)}, not a regular file; ${/^[aeiou]/i.test(role) ? 'an' : 'a'} ${role} must be a regular file`,
    'give the path of the file itself (special files such as pipes and devices are never read)');
}

/**
 * Throws unless `file` (links followed) is a regular file. Errors of stat itself (ENOENT, EACCES) are
 * thrown as they are, for the caller to say in its own words.
 */
export async function assertRegularFile(file: string, role = 'model file'): Promise<Stats> {
  const st = await fs.stat(file);
  if (!st.isFile()) refuse(file, st, role);
  return st;
}

/** Opens `file` for reading if it is a regular file; `role` names it in the refusal ("shard", …). */
export async function openRegularFile(file: string, role = 'model file'): Promise<{ handle: fs.FileHandle; size: number }> {
  await assertRegularFile(file, role);
  const handle = await fs.open(file, OPEN_FLAGS);
  try {
    const st = await handle.stat();
    if (!st.isFile()) refuse(file, st, role);
    return { handle, size: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
