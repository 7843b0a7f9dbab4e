// `merge-studio runs [--json] [--workspace-dir DIR]`: the workspace's history, newest first. Listing sweeps
// first, so a run whose process was killed shows as interrupted.
import { defaultWorkspace } from '../engine/environment';
import { listRuns } from '../engine/jobs/history';
import type { CliCommand } from './common';

export const runsCommand: CliCommand = {
  name: 'runs',
  usage: 'runs [--json] [--workspace-dir DIR]',
  summary: 'list the runs in the workspace (merges and trainings) with their status, newest first',
  options: { json: { type: 'boolean' }, 'workspace-dir': { type: 'string' } },
  async run(values) {
    const workspace = (values['workspace-dir'] as string | undefined) ?? defaultWorkspace();
    const runs = await listRuns(workspace);
    if (values.json) {
      console.log(JSON.stringify(runs, null, 2));
      return 0;
    }
    if (!runs.length) console.log(`no runs in ${workspace}`);
    const width = Math.min(48, Math.max(4, ...runs.map((r) => r.name.length)));
    for (const r of runs) {
      const time = r.seconds !== undefined ? ` ${r.seconds.toFixed(1)} s` : '';
      console.log(`${r.name.padEnd(width)}  ${r.kind.padEnd(5)}  ${r.status.padEnd(11)}${time}${r.output ? `  → ${r.output}` : ''}`);
      if (r.error && r.status !== 'succeeded' && r.status !== 'completed') console.log(`${''.padEnd(width)}  ${r.error.split('\n')[0]}`);
    }
    return 0;
  },
};
