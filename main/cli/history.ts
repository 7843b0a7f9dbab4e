// `merge-studio history [WORDS…] [--json]`: the workspace's runs, newest first (the Compare screen's history).
import { listRuns } from '../engine/compare/history';
import { defaultWorkspace } from '../engine/environment';
import type { CliCommand } from './common';

export const historyCommand: CliCommand = {
  name: 'history',
  usage: 'history [WORDS...] [--json] [--workspace-dir DIR]',
  summary: 'train, merge, eval, soup and search runs of the workspace, newest first',
  options: { json: { type: 'boolean' }, 'workspace-dir': { type: 'string' } },
  async run(values, positionals) {
    const workspace = (values['workspace-dir'] as string | undefined) ?? defaultWorkspace();
    const runs = await listRuns(workspace, positionals.join(' '));
    if (values.json) { console.log(JSON.stringify(runs, null, 2)); return 0; }
    if (!runs.length) { console.log(positionals.length ? `no run matches "${positionals.join(' ')}" in ${workspace}` : `no runs yet in ${workspace}`); return 0; }
    for (const r of runs) {
      const acc = r.accuracy === undefined ? '' : ` ${(100 * r.accuracy).toFixed(2)} %`;
      console.log(`${(r.startedAt ?? '').slice(0, 19).replace('T', ' ').padEnd(19)}  ${r.kind.padEnd(6)} ${r.status.padEnd(11)} ${r.title}${acc}\n    ${r.dir}`);
    }
    return 0;
  },
};
