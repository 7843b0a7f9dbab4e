// History: a scan of <workspace>/runs/*/run.json, newest first (DESIGN.md: runs live as plain files). The
// scan sweeps first (leftovers.ts), so a run whose process died shows as interrupted, not as running.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sweepLeftovers } from './leftovers';

export interface RunEntry {
  dir: string;
  name: string;
  kind: string;
  status: string;
  startedAt?: string;
  finishedAt?: string;
  seconds?: number;
  error?: string;
  /** A merge's output, or a training run's model. */
  output?: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export async function listRuns(workspace: string, limit = 200): Promise<RunEntry[]> {
  await sweepLeftovers({ workspace });
  const runsDir = path.join(workspace, 'runs');
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const entries: RunEntry[] = [];
  for (const name of names) {
    const dir = path.join(runsDir, name);
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      continue; // not a run (or a record too damaged to read)
    }
    if (!r || typeof r !== 'object') continue;
    const out = r.output as unknown;
    entries.push({
      dir, name,
      kind: str(r.kind) ?? 'run',
      status: str(r.status) ?? 'unknown',
      startedAt: str(r.startedAt),
      finishedAt: str(r.finishedAt) ?? str(r.interruptedAt),
      seconds: typeof r.seconds === 'number' ? r.seconds : undefined,
      error: str(r.error),
      output: str(out) ?? str((out as { path?: unknown } | undefined)?.path) ?? str(r.model),
    });
  }
  entries.sort((a, b) => (b.startedAt ?? b.name).localeCompare(a.startedAt ?? a.name));
  return entries.slice(0, limit);
}
