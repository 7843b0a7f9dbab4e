// `merge-studio demo [--workspace-dir DIR] [--epochs E --keep-from K] [--json]`: the seed-002 experiment on the bundled
// MNIST, headless (engine/compare/demo.ts). Prints the checkpoints' and the average's test accuracy and the
// report's path; --json prints {checkpoint_accuracy, averaged_accuracy, mean_checkpoint_accuracy, report}.
import path from 'node:path';
import { DEMO_DEFAULTS, runDemo } from '../engine/compare/demo';
import { defaultWorkspace } from '../engine/environment';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

function intOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v.trim()) || Number(v) < 1) throw new CliError(`--${name} must be a positive integer, got "${String(v)}"`);
  return Number(v);
}

export const demoCommand: CliCommand = {
  name: 'demo',
  usage: 'demo [--workspace-dir DIR] [--epochs E --keep-from K] [--json]',
  summary: 'the checkpoint-averaging experiment, headless: train SmallCNN on MNIST, average its last checkpoints, write report.html',
  help: `
Trains SmallCNN on mnist:train (8,000 digits; SGD, momentum 0.9, lr 0.05, batch 128), keeps a
checkpoint every epoch from epoch K, averages the kept checkpoints with the merge engine, evaluates each
checkpoint and the average on mnist:test (2,000 digits) and writes a report with the chart of each checkpoint's accuracy against the average's.
Options:
  --workspace-dir DIR   where its runs go (DIR/runs/…: the training, the merge, the comparison); default: the
                     workspace (${defaultWorkspace()}); --out DIR is the same
  --epochs E         epochs to train (default ${DEMO_DEFAULTS.epochs})
  --keep-from K      first epoch whose checkpoint is kept (default ${DEMO_DEFAULTS.keepFrom}, or E − 2 with --epochs)
  --seed S           training seed (default ${DEMO_DEFAULTS.seed})
  --dataset SPEC     training data (default mnist:train; mnist:val, 1,000 digits, runs in seconds)
  --threads N        onnxruntime threads (default: all cores)
  --json             print {checkpoint_accuracy, averaged_accuracy, mean_checkpoint_accuracy, report, …}`,
  example: 'demo --epochs 2 --dataset mnist:val --workspace-dir out/examples/workspace',
  options: { 'workspace-dir': { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' }, 'keep-from': { type: 'string' }, seed: { type: 'string' }, dataset: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length) throw new CliError(`demo takes no file arguments (got ${positionals.join(' ')})`);
    const epochs = intOption(values.epochs, 'epochs');
    const keepFrom = intOption(values['keep-from'], 'keep-from');
    const threads = intOption(values.threads, 'threads');
    const seedText = values.seed as string | undefined;
    if (seedText !== undefined && !/^\d+$/.test(seedText)) throw new CliError(`--seed must be an integer ≥ 0, got "${seedText}"`);
    const dir = (values['workspace-dir'] ?? values.out) as string | undefined;
    const workspace = dir ? path.resolve(dir) : defaultWorkspace();
    const json = values.json === true;
    return inTerminal('demo', false, 'cancelled', async (ctx) => {
      let r;
      try {
        r = await runDemo({ workspace, epochs, keepFrom, threads, ...(values.dataset ? { dataset: values.dataset as string } : {}), ...(seedText !== undefined ? { seed: Number(seedText) } : {}) }, ctx);
      } catch (e) {
        if ((e as Error).message.startsWith('--')) throw new CliError((e as Error).message);
        throw e;
      }
      if (json) {
        const { comparison: _c, ...rest } = r;
        console.log(JSON.stringify(rest, null, 2));
      } else {
        r.checkpoint_accuracy.forEach((a, i) => console.log(`checkpoint epoch ${r.epochs[i]}: ${pct(a)}`));
        console.log(`mean of checkpoints: ${pct(r.mean_checkpoint_accuracy)}`);
        console.log(`averaged model:      ${pct(r.averaged_accuracy)} (${(100 * (r.averaged_accuracy - r.mean_checkpoint_accuracy) >= 0 ? '+' : '')}${(100 * (r.averaged_accuracy - r.mean_checkpoint_accuracy)).toFixed(2)} points)`);
        console.log(`report: ${r.report}`);
      }
      return 0;
    });
  },
};
