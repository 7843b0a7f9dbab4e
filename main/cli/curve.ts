// `merge-studio curve A B --dataset mnist:test --steps S --align none,weight[,activation] [--repair] --json`:
// accuracy and loss along the straight line from A to B, for each alignment of B, and the loss barriers;
// recorded as a run of the workspace (its eval.json holds the curves).
import { ALIGN_METHODS, REPAIR_METHODS, type AlignMethod, type RepairMethod } from '../engine/align';
import { defaultWorkspace } from '../engine/environment';
import { runCurve } from '../engine/jobs/kinds/align';
import { integer, positiveInt } from './align';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

export const curveCommand: CliCommand = {
  name: 'curve',
  usage: 'curve A B --dataset SPEC --align none,weight [--workspace-dir DIR] [--json]',
  summary: 'interpolation curve A→B per alignment (accuracy, loss, barrier), optionally with BatchNorm repair',
  help: `
Options:
  --dataset SPEC              where accuracy and loss are measured (mnist:test)
  --steps S                   points from α = 0 to 1 (default 11)
  --align none,weight,activation   alignments of B to compare (default none,weight)
  --repair [reset|repair]     BatchNorm repair of each interpolated state: reset = update_bn (the default when
                              --repair is given alone), repair = REPAIR rescaling
  --sample-dataset SPEC       data for activation matching and repair (default mnist:train for MNIST)
  --samples N                 examples of it (default: 1024 for matching, all for repair)
  --seed S  --arch A | --graph G.onnx
  --workspace-dir DIR         where the run is recorded (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)
  --json                      {alphas, curves: {none: {accuracy, loss}, …}, barriers: {none, …}, runDir}`,
  example: 'curve tests/fixtures/merge/cnn_0.onnx tests/fixtures/merge/cnn_1.onnx --dataset mnist:test --steps 3 --align none --workspace-dir out/examples/workspace',
  options: {
    dataset: { type: 'string' }, steps: { type: 'string' }, align: { type: 'string' }, repair: { type: 'boolean' }, 'repair-method': { type: 'string' },
    'sample-dataset': { type: 'string' }, samples: { type: 'string' }, seed: { type: 'string' }, arch: { type: 'string' }, graph: { type: 'string' }, 'workspace-dir': { type: 'string' }, json: { type: 'boolean' },
  },
  async run(values, positionals) {
    // `--repair` alone means update_bn; `--repair repair` arrives as the flag plus a positional
    const args = [...positionals];
    let repair: RepairMethod = 'none';
    if (values.repair) {
      repair = 'reset';
      const k = args.findIndex((p) => (REPAIR_METHODS as readonly string[]).includes(p));
      if (k === 2) repair = args.splice(k, 1)[0] as RepairMethod;
    }
    if (values['repair-method'] !== undefined) {
      const m = values['repair-method'] as string;
      if (!(REPAIR_METHODS as readonly string[]).includes(m)) throw new CliError(`--repair-method must be one of ${REPAIR_METHODS.join(', ')}, got "${m}"`);
      repair = m as RepairMethod;
    }
    if (args.length !== 2) throw new CliError('give exactly two models, A and B');
    const aligns = ((values.align as string | undefined) ?? 'none,weight').split(',').map((s) => s.trim()).filter(Boolean);
    for (const a of aligns) if (!(ALIGN_METHODS as readonly string[]).includes(a)) throw new CliError(`--align takes ${ALIGN_METHODS.join(', ')}; got "${a}"`);
    const steps = positiveInt(values.steps, '--steps') ?? 11;
    if (steps < 2) throw new CliError('--steps must be at least 2 (both endpoints)');
    return inTerminal('curve', values.json === true, 'cancelled', async (ctx) => {
      const r = await runCurve({
        a: args[0], b: args[1], dataset: (values.dataset as string | undefined) ?? 'mnist:test', steps, aligns: aligns as AlignMethod[], repair,
        sampleDataset: values['sample-dataset'] as string | undefined, samples: positiveInt(values.samples, '--samples'), seed: integer(values.seed, '--seed'),
        arch: values.arch as string | undefined, graph: values.graph as string | undefined,
      }, ctx, { workspace: (values['workspace-dir'] as string | undefined) ?? defaultWorkspace() });
      if (values.json) {
        console.log(JSON.stringify({ alphas: r.alphas, curves: r.curves, barriers: r.barriers, accuracyBarriers: r.accuracyBarriers, repair: r.repair, dataset: r.dataset, ...(r.sampleDataset ? { sampleDataset: r.sampleDataset } : {}), ...(r.runDir ? { runDir: r.runDir } : {}) }, null, 2));
      } else {
        console.log(`α      ${aligns.map((a) => a.padStart(18)).join('')}`);
        r.alphas.forEach((al, i) => console.log(`${al.toFixed(2).padEnd(6)} ${aligns.map((a) => `${(100 * r.curves[a].accuracy[i]).toFixed(1).padStart(6)} % ${r.curves[a].loss[i].toFixed(3).padStart(7)}`).join('  ')}`));
        console.log(`loss barrier: ${aligns.map((a) => `${a} ${r.barriers[a].toFixed(3)}`).join(', ')}${repair !== 'none' ? ` (with ${repair})` : ''}`);
        if (r.runDir) console.log(`run recorded in ${r.runDir}`);
      }
      return 0;
    });
  },
};
