// Handlers of the wizard's saved state: one JSON file per workspace, so that the served UI (whose address
// changes at every start, and with it the browser's storage) and the desktop app find it alike.
import fs from 'node:fs/promises';
import path from 'node:path';
import { calls } from '../api';
import { defaultWorkspace } from '../environment';
import { writeFileAtomic } from '../files/writeAtomic';
import { readUiState, UI_STATE_MAX_BYTES } from '../ui-state-schema';
import type { Handlers } from './types';

export function uiStateFile(workspace: string): string {
  return path.join(workspace, '.merge-studio', 'ui-state.json');
}

/** A file that cannot be used is moved aside (never deleted, never overwritten by the next save); its new name. */
async function setAside(file: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const aside = path.join(path.dirname(file), `ui-state.unreadable-${stamp}.json`);
  await fs.rename(file, aside);
  return aside;
}

export function uiStateHandlers(workspace: () => string = defaultWorkspace): Pick<Handlers, 'getUiState' | 'saveUiState'> {
  return {
    getUiState: async (raw) => {
      calls.getUiState.args.parse(raw);
      const file = uiStateFile(workspace());
      const size = await fs.stat(file).then((s) => s.size, (e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return null; throw e; });
      if (size === null) return { state: null };
      let problem: string | undefined;
      if (size > UI_STATE_MAX_BYTES) problem = `it is too big (${size} bytes)`;
      else {
        let json: unknown;
        try { json = JSON.parse(await fs.readFile(file, 'utf8')); } catch (e) { problem = `it is not readable JSON (${(e as Error).message})`; }
        if (!problem) {
          const read = readUiState(json);
          if (read.state) return { state: read.state };
          problem = read.problem;
        }
      }
      const aside = await setAside(file);
      return { state: null, notice: `The screens' settings saved last time were not restored: ${problem}. Starting clean; the old file is kept as ${aside}.` };
    },
    saveUiState: async (raw) => {
      const { state } = calls.saveUiState.args.parse(raw);
      const text = JSON.stringify(state);
      await writeFileAtomic(uiStateFile(workspace()), text);
      return { bytes: Buffer.byteLength(text) };
    },
  };
}
