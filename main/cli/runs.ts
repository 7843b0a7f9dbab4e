// `merge-studio runs [WORDS…] [--json] [--workspace-dir DIR]`: the workspace's history (the Compare screen's
// and the Run screen's), newest first; WORDS filter it. Listing sweeps first, so a run whose process was
// killed shows as interrupted. `runs --label ID TEXT` renames a run (its label, the name the history shows).
import path from 'node:path';
import { listRuns, renameRun } from '../engine/compare/history';
import { defaultWorkspace } from '../engine/environment';
import { runDirOf } from '../engine/workspace/run-folder';
import { CliError, type CliCommand } from './common';

export const runsCommand: CliCommand = {
  name: 'runs',
  usage: 'runs [WORDS...] [--json] [--workspace-dir DIR] | runs --label ID TEXT',
  summary: 'the workspace\'s runs (train, merge, align, curve, eval, soup, search, plane, doctor, verify) with their status, newest first',
  help: `
Each run is a folder <workspace>/runs/<time>-<name>/ with recipe.yaml (its settings), run.json (id, label, status,
times, inputs with SHA-256, outputs), log.txt and what it wrote. WORDS keep the runs whose id, label, kind, status,
title or files contain every word.`,
  optionHelp: {
    label: ['ID', 'rename run ID (its folder name, as listed) to TEXT, the words after the options'],
    json: 'print the runs as JSON: [{id, label, kind, status, title, inputs, outputs, dir, …}]',
    'workspace-dir': ['DIR', 'the workspace (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)'],
  },
  example: 'runs --workspace-dir out/examples/workspace',
  options: { json: { type: 'boolean' }, label: { type: 'string' }, 'workspace-dir': { type: 'string' } },
  async run(values, positionals) {
    const workspace = (values['workspace-dir'] as string | undefined) ?? defaultWorkspace();
    if (values.label !== undefined) return relabel(workspace, values.label as string, positionals.join(' '), values.json === true);
    const runs = await listRuns(workspace, positionals.join(' '));
    if (values.json) { console.log(JSON.stringify(runs, null, 2)); return 0; }
    if (!runs.length) { console.log(positionals.length ? `no run matches "${positionals.join(' ')}" in ${workspace}` : `no runs in ${workspace}`); return 0; }
    const width = Math.min(48, Math.max(4, ...runs.map((r) => r.name.length)));
    for (const r of runs) {
      const acc = r.accuracy === undefined ? '' : ` ${(100 * r.accuracy).toFixed(2)} %`;
      const time = r.seconds !== undefined ? ` ${r.seconds.toFixed(1)} s` : '';
      console.log(`${r.name.padEnd(width)}  ${r.kind.padEnd(6)} ${r.status.padEnd(11)} ${r.label}${acc}${time}\n    ${r.dir}`);
      if (r.error && r.status !== 'succeeded' && r.status !== 'completed') console.log(`    ${r.error.split('\n')[0]}`);
    }
    return 0;
  },
};

/** `runs --label ID TEXT`: ID is the run's folder name (or the folder itself). */
async function relabel(workspace: string, id: string, text: string, json: boolean): Promise<number> {
  if (!text.trim()) throw new CliError('give the new label after the run\'s id: runs --label ID TEXT');
  const dir = id.includes('/') || id.includes(path.sep) ? id : runDirOf(workspace, id);
  let r;
  try {
    r = await renameRun(workspace, dir, text);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (json) console.log(JSON.stringify(r, null, 2));
  else console.log(`${r.id}: ${r.label}`);
  return 0;
}
