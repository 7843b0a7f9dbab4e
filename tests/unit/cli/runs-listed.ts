// What the history says of a workspace, as `merge-studio runs --json` prints it (the command run in process), and
// a run's run.json: for tests that check a command recorded its run.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import { runsCommand } from '../../../main/cli/runs';

export interface ListedRun { id: string; dir: string; label: string; kind: string; status: string; title: string; inputs: string[]; outputs: string[]; error?: string }

export async function runsListed(workspace: string): Promise<ListedRun[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((m: string) => { lines.push(m); });
  try {
    await runsCommand.run({ json: true, 'workspace-dir': workspace }, []);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(lines.join('\n')) as ListedRun[];
}

export function runRecord(dir: string): Record<string, unknown> & { inputs: { path: string; sha256?: string; role?: string }[] } {
  return JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
