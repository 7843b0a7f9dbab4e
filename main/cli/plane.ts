// `merge-studio plane A B C --dataset SPEC [--grid N] [--mark MERGE]… [--json]`: accuracy and loss over the plane
// through three models' weights (engine/compare/plane.ts), with merges marked where they project onto it; recorded
// as a plane run of the workspace (engine/jobs/kinds/plane.ts).
import path from 'node:path';
import { planeSpec } from '../engine/charts/plane';
import { defaultWorkspace } from '../engine/environment';
import { runPlane } from '../engine/jobs/kinds/plane';
import { positiveInt } from './align';
import { CliError, type CliCommand } from './common';
import { modelRefs, MODEL_HELP, MODEL_OPTIONS } from './model-refs';
import { inTerminal } from './progress';

const pct = (x: number) => `${(100 * x).toFixed(1)}`;

export const planeCommand: CliCommand = {
  name: 'plane',
  usage: 'plane A B C --dataset SPEC [--grid N] [--mark MODEL]… [--svg FILE [--overwrite]] [--workspace-dir DIR] [--json]',
  summary: 'accuracy and loss over the plane through three models, merges marked on it',
  help: `
The plane through A, B and C (Garipov et al. 2018): u = B − A, v = the part of C − A orthogonal to u, and the
point (x, y) is A + x·u/‖u‖ + y·v/‖v‖. Every float tensor moves (BatchNorm statistics too); the grid spans the
models with a margin of --margin times their extent.
${MODEL_HELP}
Options:
  --dataset SPEC     where accuracy and loss are measured (default mnist:test)
  --grid N           points per axis (default 11: 121 evaluations; 2…41)
  --margin F         room around the models, a fraction of their extent (default 0.2)
  --samples N        the first N examples only, for a quicker plane
  --mark MODEL       a merge (any model of the same layout) shown at its projection; repeat for several
  --svg FILE         also write the chart (accuracy and loss heatmaps) as SVG
  --overwrite        replace the --svg FILE when it exists (without it the plane is refused before anything runs)
  --workspace-dir DIR  where the run is recorded, with plane.json (the whole result) in its folder
                     (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)
  --json             print {xs, ys, accuracy, loss, points, lengths, chart, runDir} (chart: the Vega-Lite spec)
`,
  example: 'plane tests/fixtures/merge/cnn_0.onnx tests/fixtures/merge/cnn_1.onnx tests/fixtures/merge/cnn_2.onnx --dataset mnist:test --grid 5 --samples 200 --mark tests/fixtures/merge/mean_onnx_ref.onnx --workspace-dir out/examples/workspace',
  options: {
    ...MODEL_OPTIONS, dataset: { type: 'string' }, grid: { type: 'string' }, margin: { type: 'string' }, samples: { type: 'string' },
    mark: { type: 'string', multiple: true }, svg: { type: 'string' }, overwrite: { type: 'boolean' }, 'workspace-dir': { type: 'string' }, json: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length !== 3) throw new CliError('give exactly three models, A B C: the plane goes through their weights');
    const refs = modelRefs(values, [...positionals, ...((values.mark as string[] | undefined) ?? [])], 3);
    const grid = positiveInt(values.grid, '--grid') ?? 11;
    if (grid < 2 || grid > 41) throw new CliError(`--grid must be from 2 to 41, got ${grid}`);
    const marginText = values.margin as string | undefined;
    const margin = marginText === undefined ? undefined : Number(marginText);
    if (margin !== undefined && !(margin >= 0 && margin <= 2)) throw new CliError(`--margin must be a number from 0 to 2, got "${marginText}"`);
    const samples = positiveInt(values.samples, '--samples');
    if (values.overwrite && !values.svg) throw new CliError('--overwrite goes with --svg FILE');
    const workspace = path.resolve((values['workspace-dir'] as string | undefined) ?? defaultWorkspace());
    return inTerminal('plane', values.json === true, 'cancelled', async (ctx) => {
      const r = await runPlane({
        models: refs.slice(0, 3) as [typeof refs[0], typeof refs[0], typeof refs[0]], marks: refs.slice(3),
        dataset: (values.dataset as string | undefined) ?? 'mnist:test', grid, ...(margin !== undefined ? { margin } : {}), ...(samples ? { samples } : {}),
      }, ctx, { workspace, ...(values.svg ? { svg: values.svg as string, overwrite: values.overwrite === true } : {}) });
      if (values.json) {
        console.log(JSON.stringify({ ...r, chart: planeSpec(r) }, null, 2));
        return 0;
      }
      for (const p of r.points) {
        const where = `(${p.x.toFixed(3)}, ${p.y.toFixed(3)})${p.role === 'mark' ? `, ${p.offPlane.toPrecision(3)} off the plane` : ''}`;
        console.log(`${p.role === 'mark' ? 'mark' : p.role} ${p.label}: accuracy ${pct(p.accuracy)} %, loss ${p.loss.toFixed(4)} at ${where}`);
      }
      console.log(`accuracy (%) on ${r.n} examples of ${r.dataset}; rows: y from top (${r.ys[r.ys.length - 1].toFixed(2)}) to bottom (${r.ys[0].toFixed(2)}), columns: x from ${r.xs[0].toFixed(2)} to ${r.xs[r.xs.length - 1].toFixed(2)}`);
      for (let j = r.ys.length - 1; j >= 0; j--) console.log(r.accuracy[j].map((a) => pct(a).padStart(6)).join(''));
      if (values.svg) console.log(`chart: ${values.svg as string}`);
      if (r.runDir) console.log(`run recorded in ${r.runDir}`);
      return 0;
    });
  },
};
