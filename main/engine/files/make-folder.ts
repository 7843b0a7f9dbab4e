// Output and run folders made on demand, with a failure said in words: which folder, and why (a file in the
// way, no permission, a read-only disk), instead of a raw "ENOTDIR: not a directory, mkdir …".
import { mkdir } from 'node:fs/promises';
import { folderProblem, WriteFailedError } from './disk-errors';

/** mkdir -p `dir`; `what` names it in the error ("the run folder"). */
export async function makeFolder(dir: string, what = 'the folder'): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = folderProblem(dir, code);
    const message = why ? `cannot create ${what} ${dir}: ${why.problem} — ${why.hint}` : `cannot create ${what} ${dir}: ${(e as Error).message}`;
    throw new WriteFailedError(dir, message, code, undefined, e);
  }
}
