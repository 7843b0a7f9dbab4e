// Benchmark: the mean of 4 × 512 MB .pt files made on the fly.
//   ours      runMerge in a child process (so its peak RSS is its own), timed around runMerge: with every
//             parent byte hashed (no workspace), and with the parents' hashes in the workspace cache
//   floor     cat of the four inputs to /dev/null + dd of the output's size (the I/O any merge must do)
//   pytorch   /usr/bin/python3: torch.load all four, average, torch.save (skipped when torch is missing)
// each with the inputs in the page cache, and on disk (evicted from the page cache before each run).
// Prints both ratios and our peak RSS beside them. Goals: ≤ 1.25× the floor, ≥ 2× faster than PyTorch, peak
// RSS ≤ 3 × largest tensor × inputs + 150 MB (534 MB for the default 4 × 512 MB of 32 MB tensors).
// Run: npx tsx bench/merge.ts [--mb 512] [--tensor-mb 32] [--models 4] [--rounds 3] [--hash-overlap-mb 128]
//   (--hash-overlap-mb only matters for an output that needs its metadata first, i.e. ONNX; a .pt output
//   takes its metadata at the end, so the parents are hashed from the bytes the merge reads.)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pytorchWriter } from '../main/engine/formats/pytorch';
import { silentContext } from '../main/engine/job-context';
import { runMerge } from '../main/engine/merge/executor';
import { parseRecipe } from '../main/engine/merge/recipe';


function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

/** f32 elements per tensor (--tensor-mb, default 32 MB: the issue's 16 tensors of 32 MB per 512 MB file). */
const TENSOR_ELEMENTS = Math.round((arg('tensor-mb', 32) * 2 ** 20) / 4 / 1024) * 1024;

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
  const ctx = { ...silentContext(), log: (m: string) => phases.push(`${since().toFixed(2)} s  ${m.slice(0, 70)}`) };
  const overlap = arg('hash-overlap-mb', -1);
  const wsAt = process.argv.indexOf('--workspace');
  const workspace = wsAt > 0 ? process.argv[wsAt + 1] : undefined;
  await runMerge(recipe, ctx, { baseDir: path.dirname(recipeFile), workspace, hashOverlapBytes: overlap >= 0 ? overlap * 2 ** 20 : undefined });
  const wall = since();
  process.stdout.write(`${JSON.stringify({ wall, phases, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

interface OurRun { wall: number; phases: string[]; maxRssBytes: number }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

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
    // Each measurement starts with no dirty pages waiting for the disk (sync), so none pays for another's
    // writeback. Two regimes: inputs in the page cache (just written or read), and inputs on disk (evicted
    // from the page cache first, as after a reboot, or for models bigger than the memory). Each measurement
    // is repeated, in turns, and the medians compared: one run swings with what the page cache must give
    // back first (seen: the same dd 1.10 s, then 0.23 s).
    const settle = () => execFileSync('sync');
    // posix_fadvise(DONTNEED) through dd: drops the files' clean pages; no privileges needed.
    const evict = () => { for (const p of inputs) execFileSync('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none']); };
    settle();
    const rounds = arg('rounds', 3);
    const out = path.join(dir, 'out.pt');
    let outSize = 0;
    const ours = (extra: string[]): OurRun => {
      const run = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', recipeFile, ...process.argv.slice(2), ...extra], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`our merge failed: ${run.stderr}`);
      const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as OurRun;
      outSize = statSync(out).size;
      rmSync(out);
      settle();
      return r;
    };
    const floorRun = (): number => {
      // The I/O floor: read every input once, write the output's size once.
      const cat = seconds(() => execFileSync('bash', ['-c', `cat ${inputs.map((p) => `'${p}'`).join(' ')} > /dev/null`]));
      const dd = seconds(() => execFileSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'dd.bin')}`, 'bs=8M', `count=${Math.ceil(outBytes / (8 << 20))}`], { stdio: 'ignore' }));
      rmSync(path.join(dir, 'dd.bin'));
      settle();
      return cat + dd;
    };
    const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
    const torchRun = (): number | undefined => {
      const t = spawnSync('/usr/bin/python3', ['-c', TORCH_SCRIPT, ...inputs, path.join(dir, 'torch.pt')], { encoding: 'utf8' });
      rmSync(path.join(dir, 'torch.pt'), { force: true });
      settle();
      if (t.status === 0) return Number(t.stdout.trim().split('\n').pop());
      console.log(`pytorch run failed: ${t.stderr.slice(-500)}`);
      return undefined;
    };
    const workspace = path.join(dir, 'workspace');
    const regimes = [
      { name: 'inputs in the page cache', before: () => { /* they are */ } },
      { name: 'inputs on disk', before: evict },
    ].map((r) => ({ ...r, floor: [] as number[], cold: [] as OurRun[], cached: [] as OurRun[], torch: [] as number[] }));
    for (let round = 0; round < rounds; round++) {
      for (const r of regimes) {
        r.before(); r.floor.push(floorRun());
        // Every parent byte hashed during the merge: no workspace (a first merge of new files).
        r.before(); r.cold.push(ours([]));
        // The parents' hashes in the workspace cache (a sweep, a soup); the first run fills it.
        if (round === 0) ours(['--workspace', workspace]);
        r.before(); r.cached.push(ours(['--workspace', workspace]));
        if (hasTorch && round < 2) { r.before(); const t = torchRun(); if (t !== undefined) r.torch.push(t); }
      }
    }

    const f = (x: number) => `${x.toFixed(2)} s`;
    const all = (xs: number[]) => `[${xs.map((x) => x.toFixed(2)).join(', ')}]`;
    console.log(`output: ${(outSize / 2 ** 20).toFixed(0)} MB; medians of ${rounds} runs each (PyTorch: 2), all runs in brackets`);
    const mbOf = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    const peak = (runs: OurRun[]) => mbOf(Math.max(...runs.map((x) => x.maxRssBytes)));
    const rssGoal = 3 * TENSOR_ELEMENTS * 4 * n + 150 * 2 ** 20;
    for (const r of regimes) {
      const floor = median(r.floor);
      const cold = median(r.cold.map((x) => x.wall));
      const cached = median(r.cached.map((x) => x.wall));
      console.log(`\n${r.name}:`);
      console.log(`  I/O floor (cat + dd):         ${f(floor)} ${all(r.floor)}`);
      console.log(`  ours, every parent hashed:    ${f(cold)} ${all(r.cold.map((x) => x.wall))} → ${(cold / floor).toFixed(2)}× the floor (goal ≤ 1.25×); peak RSS ${peak(r.cold)}`);
      console.log(`  ours, parents' hashes cached: ${f(cached)} ${all(r.cached.map((x) => x.wall))} → ${(cached / floor).toFixed(2)}× the floor; peak RSS ${peak(r.cached)}`);
      if (r.torch.length) {
        const torch = median(r.torch);
        console.log(`  pytorch:                      ${f(torch)} ${all(r.torch)} → ours runs at ${(torch / cold).toFixed(2)}× its speed, ${(torch / cached).toFixed(2)}× with hashes cached (goal ≥ 2×)`);
      } else console.log('  pytorch:                      skipped (/usr/bin/python3 -c "import torch" does not work here)');
    }
    const last = regimes[0].cold[regimes[0].cold.length - 1];
    console.log(`\nphases of our last run with the inputs in the page cache, every parent hashed:\n  ${last.phases.join('\n  ')}`);
    const rss = Math.max(...regimes.flatMap((r) => [...r.cold, ...r.cached]).map((x) => x.maxRssBytes));
    console.log(`peak RSS (ours, highest of all runs): ${mbOf(rss)} (goal ≤ ${mbOf(rssGoal)}: 3 × ${mbOf(TENSOR_ELEMENTS * 4)} tensor × ${n} inputs + 150 MB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
