// `merge-studio runs [WORDS…] [--json] [--workspace-dir DIR]`: the workspace's history (the Compare screen's
// and the Run screen's), newest first; WORDS filter it. Listing sweeps first, so a run whose process was
// killed shows as interrupted.
import { listRuns } from '../engine/compare/history';
import { defaultWorkspace } from '../engine/environment';
import type { CliCommand } from './common';

export const runsCommand: CliCommand = {
  name: 'runs',
  usage: 'runs [WORDS...] [--json] [--workspace-dir DIR]',
  summary: 'the workspace\'s train, merge, align, eval, soup and search runs with their status, newest first',
  options: { json: { type: 'boolean' }, 'workspace-dir': { type: 'string' } },
  async run(values, positionals) {
    const workspace = (values['workspace-dir'] as string | undefined) ?? defaultWorkspace();
    const runs = await listRuns(workspace, positionals.join(' '));
    if (values.json) { console.log(JSON.stringify(runs, null, 2)); return 0; }
    if (!runs.length) { console.log(positionals.length ? `no run matches "${positionals.join(' ')}" in ${workspace}` : `no runs in ${workspace}`); return 0; }
    const width = Math.min(48, Math.max(4, ...runs.map((r) => r.name.length)));
    for (const r of runs) {
      const acc = r.accuracy === undefined ? '' : ` ${(100 * r.accuracy).toFixed(2)} %`;
      const time = r.seconds !== undefined ? ` ${r.seconds.toFixed(1)} s` : '';
      console.log(`${r.name.padEnd(width)}  ${r.kind.padEnd(6)} ${r.status.padEnd(11)} ${r.title}${acc}${time}\n    ${r.dir}`);
      if (r.error && r.status !== 'succeeded' && r.status !== 'completed') console.log(`    ${r.error.split('\n')[0]}`);
    }
    return 0;
  },
};
