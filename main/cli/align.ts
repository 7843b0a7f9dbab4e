// `merge-studio align REF OTHER… --method weight|activation [--dataset mnist:train --samples N] [--out DIR] [--json]`:
// permute each OTHER's hidden units onto REF's, write them (same format as the input) and alignment.json into
// the run's folder (or DIR); recorded as a run of the workspace.
import { ALIGN_METHODS, type AlignMethod } from '../engine/align';
import { defaultWorkspace } from '../engine/environment';
import { runAlign } from '../engine/jobs/kinds/align';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

export function positiveInt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(String(v)) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`${flag} must be a positive integer, got "${String(v)}"`);
  return n;
}

export function integer(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(String(v))) throw new CliError(`${flag} must be an integer, got "${String(v)}"`);
  return Number(v);
}

export const alignCommand: CliCommand = {
  name: 'align',
  usage: 'align REF OTHER… --method weight|activation [--out DIR] [--workspace-dir DIR]',
  summary: 'permute models\' hidden units to line up with REF (Git Re-Basin); writes them and alignment.json',
  help: `
Models are .onnx files, our checkpoints, or weights (.safetensors, .pt …) with --arch A or --graph G.onnx.
Another model's tensors line up with REF's by name, then by order and shape.
Options:
  --method weight|activation|none   weight matching (data-free) or activation matching (needs --dataset)
  --dataset SPEC                    data sample for activation matching (e.g. mnist:train)
  --samples N                       examples of it to use (default 1024)
  --seed S                          weight matching's group order (default 0)
  --arch A | --graph G.onnx         for bare weights
  --out DIR                         where the aligned models and alignment.json go (default: the run's own folder)
  --overwrite                       replace aligned files that exist in --out DIR (refused otherwise)
  --workspace-dir DIR               where the run is recorded (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)
  --json                            print the alignment report as JSON`,
  example: 'align tests/fixtures/align/mlp_a.safetensors tests/fixtures/align/mlp_b.safetensors --method weight --workspace-dir out/examples/workspace',
  options: {
    method: { type: 'string' }, dataset: { type: 'string' }, samples: { type: 'string' }, seed: { type: 'string' },
    arch: { type: 'string' }, graph: { type: 'string' }, out: { type: 'string' }, overwrite: { type: 'boolean' },
    'workspace-dir': { type: 'string' }, json: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length < 2) throw new CliError('give the reference model and at least one other model');
    const method = (values.method as string | undefined) ?? 'weight';
    if (!(ALIGN_METHODS as readonly string[]).includes(method)) throw new CliError(`--method must be one of ${ALIGN_METHODS.join(', ')}, got "${method}"`);
    if (method === 'activation' && !values.dataset) throw new CliError('--method activation needs --dataset (a data sample, e.g. mnist:train)');
    const [reference, ...others] = positionals;
    return inTerminal('aligning', values.json === true, 'cancelled', async (ctx) => {
      const r = await runAlign({
        reference, others, method: method as AlignMethod, ...(values.out ? { outDir: values.out as string, overwrite: values.overwrite === true } : {}),
        dataset: values.dataset as string | undefined, samples: positiveInt(values.samples, '--samples'), seed: integer(values.seed, '--seed'),
        arch: values.arch as string | undefined, graph: values.graph as string | undefined,
      }, ctx, { workspace: (values['workspace-dir'] as string | undefined) ?? defaultWorkspace() });
      if (values.json) console.log(JSON.stringify({ ...r.report, outputs: r.outputs, alignment: r.alignmentFile, runDir: r.runDir }, null, 2));
      else {
        for (const u of r.report.spec.unsupported) console.log(`left unpermuted: ${u.opType} ${u.node}: ${u.message}`);
        r.report.models.forEach((m, i) => {
          console.log(`${m.file} → ${r.outputs[i]} (${m.iterations} round${m.iterations === 1 ? '' : 's'}; distance ${m.distance.before.toFixed(2)} → ${m.distance.after.toFixed(2)})`);
          for (const g of m.groups) console.log(`  ${g.name.padEnd(28)} ${String(g.moved).padStart(5)}/${g.size} units moved, similarity ${g.similarityBefore.toFixed(2)} → ${g.similarityAfter.toFixed(2)}`);
        });
        console.log(`alignment written to ${r.alignmentFile}`);
        if (r.runDir) console.log(`run recorded in ${r.runDir}`);
      }
      return 0;
    });
  },
};
