// `merge-studio verify OUTPUT [--search DIR…] [--json]`: find the parents a merged file records (by SHA-256),
// re-run its recorded recipe and compare every tensor bit for bit (engine/merge/verify.ts); recorded as a verify
// run of the workspace.
import path from 'node:path';
import { defaultWorkspace } from '../engine/environment';
import { verifyAsRun } from '../engine/jobs/kinds/doctor';
import { NotVerifiableError, type VerifyResult } from '../engine/merge/verify';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

function printResult(r: VerifyResult): void {
  for (const p of r.parents) {
    const where = p.status === 'found' ? p.path : p.status === 'changed' ? `CHANGED (${p.path})` : 'MISSING';
    console.log(`${p.role.padEnd(5)} ${p.name}  ${p.sha256.slice(0, 12)}…  ${where}`);
  }
  for (const d of r.differing.slice(0, 50)) console.log(`differs: ${d.name}: ${d.why}`);
  if (r.differing.length > 50) console.log(`… and ${r.differing.length - 50} more tensors differ`);
  if (r.compared) console.log(`${r.compared} tensors compared`);
  console.log(r.verdict);
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  usage: 'verify OUTPUT [--search DIR...] [--workspace-dir DIR] [--json]',
  summary: 'find a merge\'s parents by SHA-256, re-run its recorded recipe and compare every tensor bit for bit',
  help: `
OUTPUT is a model written by a merge (merge-studio merge, the Scheme screen, soup, search): it records its
recipe, its parents' SHA-256 and sizes, and the parameters and seeds a re-run needs. Each parent is looked
for by its SHA-256 — in the workspace's hash cache and run records, the recipe's own paths, OUTPUT's folder
and every --search folder (with subfolders; only files of the parent's size are hashed).

Exit codes: 0 "verified: identical"; 1 a parent is missing or has changed (named), or tensors differ (named);
2 OUTPUT cannot be read or records no recipe.

Options:
  --search DIR          also look for the parents in DIR and its subfolders (repeatable)
  --workspace-dir DIR   the workspace whose hash cache and run records are searched first, and where the check
                        is recorded as a run with verify.json (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)
  --json                print the result as JSON: identical, parents (status, path), compared, differing, verdict, runDir
`,
  example: 'verify tests/fixtures/merge/mean_of_three.safetensors --search tests/fixtures/merge --workspace-dir out/examples/workspace',
  options: { search: { type: 'string', multiple: true }, 'workspace-dir': { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one merged model file');
    const search = (values.search as string[] | undefined) ?? [];
    const workspace = path.resolve((values['workspace-dir'] as string | undefined) ?? defaultWorkspace());
    return inTerminal('verifying', values.json === true, 'cancelled', async (ctx) => {
      let r: VerifyResult & { runDir?: string };
      try {
        r = await verifyAsRun({ output: positionals[0], ...(search.length ? { search } : {}) }, ctx, { workspace });
      } catch (e) {
        if (e instanceof NotVerifiableError) throw new CliError(e.message);
        throw e;
      }
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else {
        printResult(r);
        if (r.runDir) console.log(`run recorded in ${r.runDir}`);
      }
      return r.identical ? 0 : 1;
    });
  },
};
