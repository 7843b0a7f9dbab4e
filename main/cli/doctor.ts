// `merge-studio doctor MODEL… [--base B] [--dataset SPEC] [--json]` (or `doctor RECIPE.yaml`): before a merge,
// whether it is sound — compatibility, peak memory and time, lineage, interference per layer, a probe of the
// midpoints — and a verdict in words (engine/doctor/); recorded as a doctor run of the workspace.
import path from 'node:path';
import type { DoctorRequest, DoctorResult } from '../engine/doctor/types';
import { formatBytes } from '../engine/doctor/verdict';
import { defaultWorkspace } from '../engine/environment';
import { doctorAsRun } from '../engine/jobs/kinds/doctor';
import { loadRecipe, RecipeError } from '../engine/merge/recipe';
import { CliError, type CliCommand } from './common';
import { inTerminal } from './progress';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

function printResult(r: DoctorResult): void {
  const c = r.compatibility;
  console.log(`compatibility: ${c.ok ? `ok (${c.method}: ${c.merged} tensors merged, ${c.copied} copied)` : `BLOCKED — ${c.blocking.join('; ')}`}`);
  for (const w of c.warnings) console.log(`  warning: ${w}`);
  console.log(`memory: est. peak ${formatBytes(r.memory.peak_bytes)}, ${formatBytes(r.memory.free_bytes)} free of ${formatBytes(r.memory.total_bytes)}; time ~${r.memory.seconds.toFixed(1)} s`);
  const l = r.lineage;
  if (l) {
    console.log(`lineage (${l.tensors} weight matrices compared):`);
    for (const p of l.pairs) console.log(`  ${p.a} ~ ${p.b}: weight cosine ${p.weight_cosine.toFixed(3)}, relative distance ${p.relative_distance.toFixed(3)}${p.shared_init ? ', shared init' : ''}`);
    console.log(`  base: ${l.base ?? '—'}${l.base_given ? ' (given)' : ''}; shared init: ${l.shared_init.map((g) => `[${g.join(', ')}]`).join(' ') || '—'}; needs alignment: ${l.needs_alignment.join(', ') || '—'}`);
    for (const t of l.task_vectors) console.log(`  task vectors ${t.a} · ${t.b}: cosine ${t.cosine.toFixed(3)}`);
  }
  if (r.layers.length) {
    const w = Math.max(5, ...r.layers.map((x) => x.name.length));
    console.log(`interference per layer (TIES density ${r.density}):\n  ${'layer'.padEnd(w)}  sign conflict  cosine`);
    for (const x of r.layers) console.log(`  ${x.name.padEnd(w)}  ${pct(x.sign_conflict).padStart(13)}  ${x.cosine.toFixed(3).padStart(6)}`);
  }
  const p = r.probe;
  if (p) {
    console.log(`probe (${p.samples} samples of ${p.dataset}${p.bn_reset ? ', BatchNorm reset for the midpoints' : ''}):`);
    for (const s of [...p.models, ...(p.naive ? [p.naive] : []), ...(p.aligned ? [p.aligned] : [])]) console.log(`  ${s.name}: accuracy ${pct(s.accuracy)}, loss ${s.loss.toFixed(4)}`);
    if (p.error) console.log(`  failed: ${p.error}`);
  }
  console.log(`verdict: ${r.verdict}`);
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  usage: 'doctor MODEL... [--base B] [--dataset SPEC] [--workspace-dir DIR] [--json]',
  summary: 'before a merge: compatibility, peak memory and time, lineage, interference per layer, a verdict',
  help: `
MODEL… are the models to merge (any format merge reads), or one RECIPE.yaml: then its models, base, method
and output are checked as planned. Without a recipe the plan is their mean (TIES with --base).

It reports: whether the merge can run (the pre-flight: names, shapes, dtypes), its estimated peak memory and
time against this machine's free memory; which models share an initialisation (weight cosine) and which is
the base of the others, and which are independent (need permutation alignment first); per layer, the sign
conflicts of the task vectors after TIES's trim and their cosine; with --dataset, each model and the naive
(and, when alignment is needed, the aligned) midpoint on the first N samples. Details: docs/doctor.md.

Options:
  --base B              the base the models were fine-tuned from (task vectors are measured from it)
  --dataset SPEC        probe the midpoints on this labelled data (docs/datasets.md), e.g. mnist:test
  --samples N           samples the probe evaluates on (default 500)
  --arch ARCH           for the probe, the built-in architecture of bare weights (mlp, smallcnn, vgg, resnet)
  --graph G.onnx        for the probe, the ONNX graph bare weights belong to
  --workspace-dir DIR   where the check is recorded as a run, with doctor.json (the whole result) in its folder
                        (default: MERGE_STUDIO_WORKSPACE or ~/MergeStudio)
  --json                print the whole result as JSON (memory, lineage, layers, probe, verdict, runDir)
`,
  example: 'doctor tests/fixtures/merge/cnn_0.pt tests/fixtures/merge/cnn_1.pt tests/fixtures/merge/cnn_2.pt --workspace-dir out/examples/workspace',
  options: {
    base: { type: 'string' }, dataset: { type: 'string' }, samples: { type: 'string' }, arch: { type: 'string' }, graph: { type: 'string' },
    'workspace-dir': { type: 'string' }, json: { type: 'boolean' },
  },
  async run(values, positionals) {
    if (positionals.length === 0) throw new CliError('give the models to check (two or more), or one recipe file');
    const samples = values.samples === undefined ? undefined : Number(values.samples);
    if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1)) throw new CliError('--samples must be a positive integer');
    const probe = {
      ...(values.dataset ? { dataset: values.dataset as string } : {}), ...(samples ? { samples } : {}),
      ...(values.arch ? { arch: values.arch as string } : {}), ...(values.graph ? { graph: values.graph as string } : {}),
    };
    let req: DoctorRequest;
    if (positionals.length === 1 && /\.ya?ml$/i.test(positionals[0])) {
      if (values.base) throw new CliError('--base goes in the recipe (key base) when checking a recipe');
      try {
        const { recipe, baseDir } = await loadRecipe(positionals[0]);
        req = { recipe: recipe as Record<string, unknown>, baseDir, ...probe };
      } catch (e) {
        if (e instanceof RecipeError) throw new CliError(e.message.split('\n').join('; '));
        throw e;
      }
    } else {
      if (positionals.length < 2) throw new CliError('give two or more models (or one recipe file)');
      req = { models: positionals, ...(values.base ? { base: values.base as string } : {}), ...probe };
    }
    const workspace = path.resolve((values['workspace-dir'] as string | undefined) ?? defaultWorkspace());
    return inTerminal('checking', values.json === true, 'cancelled', async (ctx) => {
      const r = await doctorAsRun(req, ctx, { workspace });
      if (values.json) console.log(JSON.stringify(r, null, 2));
      else {
        printResult(r);
        if (r.runDir) console.log(`run recorded in ${r.runDir}`);
      }
      return 0;
    });
  },
};
