// `merge-studio compare MODEL… --dataset SPEC`: the Compare screen headless — the table (accuracy, loss,
// per-class, agreement with each parent, the ensemble of the parents), optionally the interpolation curve and
// the weight diffs between the first two models; recorded as a run with report.html.
import { writeFile } from 'node:fs/promises';
import { compareCsv } from '../engine/compare/charts-of';
import { runComparison } from '../engine/compare/compare';
import type { CompareResult } from '../engine/compare/types';
import { defaultWorkspace } from '../engine/environment';
import { CliError, type CliCommand } from './common';
import { modelRefs, MODEL_OPTIONS, MODEL_HELP } from './model-refs';
import { inTerminal } from './progress';

const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(100 * x).toFixed(2)} %`);

export function printTable(r: CompareResult): void {
  const w = Math.max(12, ...r.rows.map((x) => x.label.length));
  console.log(`${'model'.padEnd(w)}  accuracy     loss  ${r.parents.map((p) => `agrees w/ ${r.rows[p].label}`).join('  ')}`);
  r.rows.forEach((x, i) => {
    const star = (b: boolean) => (b ? '★' : ' ');
    console.log(`${x.label.padEnd(w)}  ${pct(x.accuracy).padStart(8)}${star(r.best.accuracy === i)} ${x.loss.toFixed(4).padStart(7)}${star(r.best.loss === i)} ${x.agreement.map((a) => pct(a).padStart(9)).join('  ')}`);
  });
}

export const compareCommand: CliCommand = {
  name: 'compare',
  usage: 'compare MODEL... --dataset SPEC [--curve] [--diff] [--json]',
  summary: 'models and merges side by side on a dataset, with report.html',
  help: `
${MODEL_HELP}
Options:
  --dataset SPEC        labelled data (default mnist:test; docs/datasets.md)
  --curve [--steps N]   interpolation curve(s) between the first two models (N points, default 11)
  --diff                per-tensor cosine similarity and relative L2 distance between the first two
  --csv FILE            also write the table as CSV
  --workspace-dir DIR   where the run is recorded (default ${defaultWorkspace()})
  --json                print the whole result`,
  example: 'compare tests/fixtures/merge/cnn_0.onnx tests/fixtures/merge/cnn_1.onnx --dataset mnist:test --workspace-dir out/examples/workspace',
  options: { ...MODEL_OPTIONS, dataset: { type: 'string' }, curve: { type: 'boolean' }, steps: { type: 'string' }, diff: { type: 'boolean' }, csv: { type: 'string' }, 'workspace-dir': { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    const models = modelRefs(values, positionals, 1);
    if ((values.curve || values.diff) && models.length < 2) throw new CliError('--curve and --diff need two models');
    const steps = values.steps === undefined ? undefined : Number(values.steps);
    if (steps !== undefined && !(Number.isInteger(steps) && steps >= 2)) throw new CliError('--steps must be an integer ≥ 2');
    return inTerminal('comparing', values.json === true, 'cancelled', async (ctx) => {
      const r = await runComparison({
        models, dataset: (values.dataset as string | undefined) ?? 'mnist:test',
        ...(values.curve ? { curve: { a: 0, b: 1, ...(steps ? { steps } : {}) } } : {}),
        ...(values.diff ? { diff: { a: 0, b: 1 } } : {}),
      }, ctx, { workspace: (values['workspace-dir'] as string | undefined) ?? defaultWorkspace() });
      if (values.csv) await writeFile(values.csv as string, compareCsv(r));
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else {
        printTable(r);
        for (const c of r.curves?.series ?? []) console.log(`${c.name} curve: loss barrier ${c.barrier.loss.toFixed(4)} at α = ${c.barrier.alpha}`);
        for (const e of r.curves?.errors ?? []) console.log(`curve not drawn: ${e}`);
        console.log(`report: ${r.report}`);
      }
      return 0;
    });
  },
};
