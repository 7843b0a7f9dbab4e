// Benchmark: the mean of 4 × 512 MB .pt files made on the fly.
//   ours      runMerge in a child process (so its peak RSS is its own), timed around runMerge
//   floor     cat of the four inputs to /dev/null + dd of the output's size (the I/O any merge must do)
//   pytorch   /usr/bin/python3: torch.load all four, average, torch.save (skipped when torch is missing)
// Prints both ratios and our peak RSS. Goals: ≤ 1.25× the floor, ≥ 2× faster than PyTorch, ≤ 534 MB.
// Run: npx tsx bench/merge.ts [--mb 512] [--models 4] [--hash-overlap-mb 128]
//   (--hash-overlap-mb only matters for an output that needs its metadata first, i.e. ONNX; a .pt output
//   takes its metadata at the end, so the parents are hashed from the bytes the merge reads.)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pytorchWriter } from '../main/engine/formats/pytorch';
import { silentContext } from '../main/engine/jobs/context';
import { runMerge } from '../main/engine/merge/executor';
import { parseRecipe } from '../main/engine/merge/recipe';

const TENSOR_ELEMENTS = 2 * 1024 * 1024; // 8 MB f32 tensors: a realistic layer size, many per file

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function makeModel(file: string, tensors: number, seed: number): Promise<void> {
  const specs = Array.from({ length: tensors }, (_, i) => ({ name: `layers.${i}.weight`, dtype: 'f32' as const, shape: [1024, TENSOR_ELEMENTS / 1024] }));
  const session = await pytorchWriter.begin(file, specs);
  const data = new Float32Array(TENSOR_ELEMENTS);
  let x = (seed * 2654435761) >>> 0;
  for (let t = 0; t < tensors; t++) {
    for (let i = 0; i < data.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; data[i] = x / 4294967296 - 0.5; }
    await session.writeTensor(specs[t].name, new Uint8Array(data.buffer.slice(0)));
  }
  await session.finish();
}

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Child mode: run the merge, print wall time and peak RSS as JSON. */
async function child(recipeFile: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const recipe = parseRecipe(readFileSync(recipeFile, 'utf8'), recipeFile);
  const t0 = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - t0) / 1e9;
  // Phase marks from the merge's own log lines, to see where the time goes.
  const phases: string[] = [];
  const ctx = { ...silentContext(), log: (m: string) => phases.push(`${since().toFixed(2)} s  ${m.slice(0, 60)}`) };
  const overlap = arg('hash-overlap-mb', -1);
  await runMerge(recipe, ctx, { baseDir: path.dirname(recipeFile), hashOverlapBytes: overlap >= 0 ? overlap * 2 ** 20 : undefined });
  const wall = since();
  process.stdout.write(`${JSON.stringify({ wall, phases, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

const TORCH_SCRIPT = `
import sys, time, torch
paths, out = sys.argv[1:-1], sys.argv[-1]
t0 = time.perf_counter()
sds = [torch.load(p, weights_only=True) for p in paths]
mean = {k: sum(sd[k] for sd in sds) / len(sds) for k in sds[0]}
torch.save(mean, out)
print(time.perf_counter() - t0)
`;

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const mb = arg('mb', 512);
  const n = arg('models', 4);
  const tensors = Math.max(1, Math.round((mb * 1024 * 1024) / (TENSOR_ELEMENTS * 4)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-bench-merge-'));
  try {
    console.log(`making ${n} × ${(tensors * TENSOR_ELEMENTS * 4) / 2 ** 20} MB .pt files (${tensors} tensors each) in ${dir}`);
    const inputs = Array.from({ length: n }, (_, i) => path.join(dir, `m${i}.pt`));
    for (let i = 0; i < n; i++) await makeModel(inputs[i], tensors, i + 1);
    const recipeFile = path.join(dir, 'recipe.yaml');
    writeFileSync(recipeFile, `method: mean\nmodels: [${inputs.map((p) => path.basename(p)).join(', ')}]\noutput: {path: out.pt}\n`);
    const outBytes = tensors * TENSOR_ELEMENTS * 4;
    // Each measurement starts with no dirty pages waiting for the disk (the inputs were just written), so
    // none of them pays for another's writeback; the inputs stay in the page cache for all three.
    const settle = () => execFileSync('sync');
    settle();

    // The I/O floor: read every input once, write the output's size once.
    const cat = seconds(() => execFileSync('bash', ['-c', `cat ${inputs.map((p) => `'${p}'`).join(' ')} > /dev/null`]));
    const dd = seconds(() => execFileSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'dd.bin')}`, 'bs=8M', `count=${Math.ceil(outBytes / (8 << 20))}`], { stdio: 'ignore' }));
    rmSync(path.join(dir, 'dd.bin'));
    const floor = cat + dd;
    settle();

    const run = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', recipeFile, ...process.argv.slice(2)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`our merge failed: ${run.stderr}`);
    const ours = JSON.parse(run.stdout.trim().split('\n').pop()!) as { wall: number; phases: string[]; maxRssBytes: number };
    const outSize = statSync(path.join(dir, 'out.pt')).size;
    rmSync(path.join(dir, 'out.pt'));
    settle();

    let torch: number | undefined;
    const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
    if (hasTorch) {
      const t = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, ...inputs, path.join(dir, 'torch.pt')], { encoding: 'utf8' });
      if (t.status === 0) torch = Number(t.stdout.trim().split('\n').pop());
      else console.log(`pytorch run failed: ${t.stderr.slice(-500)}`);
    }

    const f = (x: number) => `${x.toFixed(2)} s`;
    console.log(`output: ${(outSize / 2 ** 20).toFixed(0)} MB`);
    console.log(`I/O floor:     ${f(floor)} (cat inputs ${f(cat)} + dd output ${f(dd)})`);
    console.log(`merge-studio:  ${f(ours.wall)}  → ${(ours.wall / floor).toFixed(2)}× the floor (goal ≤ 1.25×)`);
    if (torch !== undefined) console.log(`pytorch:       ${f(torch)}  → ours runs at ${(torch / ours.wall).toFixed(2)}× its speed (goal ≥ 2×)`);
    else console.log('pytorch:       skipped (/usr/bin/python3 -c "import torch" does not work here)');
    console.log(`  phases of ours:\n    ${ours.phases.join('\n    ')}`);
    console.log(`peak RSS (ours): ${(ours.maxRssBytes / 2 ** 20).toFixed(0)} MB (goal ≤ 534 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
