// A run folder made ready for a new run, and taken back when the run could not start.
import { promises as fs } from 'node:fs';
import { makeRunFolder, runPaths } from './run-files';

/** The checkpoints folder made, the metrics of an earlier run in this folder removed. */
export async function prepareRunFolder(outDir: string): Promise<void> {
  await makeRunFolder(outDir);
  await fs.rm(runPaths(outDir).metrics, { force: true });
}

/**
 * A run that could not start (a full disk) leaves no half run folder behind: the folder goes when this
 * run made it (`existed` false), else only what this run wrote (best effort).
 */
export async function undoRunStart(outDir: string, existed: boolean): Promise<void> {
  const paths = runPaths(outDir);
  if (!existed) await fs.rm(outDir, { recursive: true, force: true }).catch(() => {});
  else {
    for (const f of [paths.init, paths.runJson]) await fs.rm(f, { force: true }).catch(() => {});
    await fs.rmdir(paths.checkpoints).catch(() => {}); // only when empty
  }
}
