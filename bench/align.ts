// bench/align: the LAP solver at n = 512 and 2048 and weight matching of two MNIST MLPs (784-512-512-512-10),
// each against scipy (linear_sum_assignment; the numpy + scipy reference of scripts/fixtures/make_align_fixtures.py)
// measured in the same run with Debian's python3-scipy when present; beside them npm `munkres` (the fastest npm
// solver, which the engine used before its own) and the matrix product on onnxruntime against the typed-array loop.
// Medians of 3 rounds, after one untimed call of each JavaScript solver (the JIT's warm-up).
// Run: npx tsx bench/align.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { derivePermutationSpec, linearAssignment, Products, weightMatching, xyTLoop } from '../main/engine/align';
import { silentContext } from '../main/engine/job-context';
import { loadNet, Rng } from '../main/engine/models';
import { trainModel } from '../main/engine/train';
import { munkres } from 'munkres';

const PYTHON = '/usr/bin/python3';
const ROUNDS = 3;
const dir = mkdtempSync(path.join(tmpdir(), 'ms-bench-align-'));
const hasScipy = spawnSync(PYTHON, ['-c', 'import scipy, numpy'], { encoding: 'utf8' }).status === 0;

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
function time(fn: () => void): number { const t = performance.now(); fn(); return (performance.now() - t) / 1000; }
async function timeAsync(fn: () => Promise<unknown>): Promise<number> { const t = performance.now(); await fn(); return (performance.now() - t) / 1000; }
const ms = (s: number) => `${(1000 * s).toFixed(1)} ms`;
const ratio = (x: number, peer: number | undefined) => (peer ? `${(x / peer).toFixed(2)}× scipy` : 'scipy not found');

function scipyLap(file: string, n: number): number | undefined {
  if (!hasScipy) return undefined;
  const code = `
import numpy as np, time
from scipy.optimize import linear_sum_assignment
m = np.fromfile('${file}', dtype=np.float64).reshape(${n}, ${n})
ts = []
for _ in range(${ROUNDS}):
    t = time.perf_counter(); linear_sum_assignment(m, maximize=True); ts.append(time.perf_counter() - t)
print(sorted(ts)[len(ts) // 2])`;
  const r = spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
}

async function main() {
  console.log(`bench/align — ${ROUNDS} rounds, medians${hasScipy ? '' : ' (python3-scipy not found: no peer)'}`);
  for (const n of [512, 2048]) {
    // a similarity-like matrix: a hidden permutation plus noise, as matching meets them
    const rng = new Rng(n), p = rng.permutation(n);
    const m = Float64Array.from({ length: n * n }, () => rng.normal());
    for (let i = 0; i < n; i++) m[i * n + p[i]] += 3;
    const file = path.join(dir, `lap-${n}.f64`);
    writeFileSync(file, Buffer.from(m.buffer));
    linearAssignment(m, n); // one untimed call each: the JIT's warm-up is not the solver's cost
    const ours = median(Array.from({ length: ROUNDS }, () => time(() => linearAssignment(m, n))));
    const rows = Array.from({ length: n }, (_, i) => Float64Array.from(m.subarray(i * n, (i + 1) * n), (x) => -x));
    munkres(rows);
    const mk = median(Array.from({ length: ROUNDS }, () => time(() => munkres(rows))));
    const sp = scipyLap(file, n);
    console.log(`LAP n=${n}: ours ${ms(ours)} = ${ratio(ours, sp)}; npm munkres ${ms(mk)} = ${ratio(mk, sp)}; scipy ${sp ? ms(sp) : '—'}`);
  }

  const products = await Products.create();
  const [pn, pm] = [512, 1297];
  const x = Float32Array.from({ length: pn * pm }, Math.random), y = Float32Array.from({ length: pn * pm }, Math.random);
  const ortTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) ortTimes.push(await timeAsync(() => products.xyT(x, y, pn, pn, pm)));
  const tOrt = median(ortTimes);
  const tLoop = median(Array.from({ length: ROUNDS }, () => time(() => xyTLoop(x, y, pn, pn, pm))));
  await products.release();
  console.log(`X·Yᵀ ${pn}×${pm} by ${pn}×${pm}: onnxruntime ${ms(tOrt)}, typed-array loop ${ms(tLoop)} (${(tLoop / tOrt).toFixed(1)}× slower)`);

  // two MLPs 784-512-512-512-10 from different seeds (one epoch each: matching's cost does not need more)
  const files: string[] = [];
  for (const seed of [1, 2]) {
    const r = await trainModel({ arch: 'mlp', hidden: [512, 512, 512], dataset: 'mnist:train', epochs: 1, batchSize: 256, optimizer: 'adam', lr: 1e-3, seed, threads: 2, keepFrom: 1, outDir: path.join(dir, `mlp-${seed}`) }, silentContext());
    files.push(r.checkpoints[0]);
  }
  const [a, b] = [await loadNet(files[0]), await loadNet(files[1])];
  const spec = await derivePermutationSpec(a);
  // The reference runs first: ours then visits the groups in the reference's order (numpy's RNG, not ours), so
  // both do the same rounds and the figures compare the same work; the permutations found are compared too.
  type Ref = { seconds: number; iterations: number; orders: string[][]; perms: Record<string, number[]> };
  const refs: Ref[] = [];
  if (hasScipy && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) {
    for (let i = 0; i < ROUNDS; i++) {
      const out = path.join(dir, `ref-${i}.json`);
      const r = spawnSync(PYTHON, [path.join(__dirname, '../scripts/fixtures/make_align_fixtures.py'), 'match', files[0], files[1], '--hidden', '512,512,512', '--out', out, '--seed', String(i)], { encoding: 'utf8' });
      if (r.status !== 0) { refs.length = 0; break; }
      refs.push(JSON.parse(readFileSync(out, 'utf8')) as Ref);
    }
  }
  await weightMatching(spec, a.state, b.state, { seed: 99 }); // untimed: the JIT's warm-up
  const runs: { s: number; iterations: number; agree?: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const ref = refs[i];
    const t = performance.now();
    const r = await weightMatching(spec, a.state, b.state, ref ? { order: (it, names) => ref.orders[it] ?? names } : { seed: i });
    const s = (performance.now() - t) / 1000;
    let agree: number | undefined;
    if (ref) {
      let same = 0, all = 0;
      for (const [g, p] of Object.entries(ref.perms)) { all += p.length; p.forEach((c, k) => { if (r.perms[g]?.[k] === c) same++; }); }
      agree = same / all;
    }
    runs.push({ s, iterations: r.iterations, agree });
  }
  const ours = median(runs.map((r) => r.s));
  const rounds = runs.reduce((k, r) => k + r.iterations, 0) / ROUNDS;
  const line = `weight matching, MLP 784-512-512-512-10: ours ${ours.toFixed(2)} s (${rounds.toFixed(1)} rounds, ${ms(ours / rounds)} a round)`;
  if (refs.length === ROUNDS) {
    const refS = median(refs.map((r) => r.seconds)), refRounds = refs.reduce((k, r) => k + r.iterations, 0) / ROUNDS;
    const agree = Math.min(...runs.map((r) => r.agree ?? 0));
    console.log(`${line}; numpy + scipy ${refS.toFixed(2)} s (${refRounds.toFixed(1)} rounds, ${ms(refS / refRounds)} a round) = ${(ours / refS).toFixed(2)}× scipy, ${((ours / rounds) / (refS / refRounds)).toFixed(2)}× a round; same permutations as the reference: ${(100 * agree).toFixed(1)} % of units`);
  } else console.log(`${line} (no numpy + scipy reference)`);
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
