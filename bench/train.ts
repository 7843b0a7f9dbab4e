// Benchmark: seed 002's SmallCNN on the 8,000 digits of mnist:train, batch 128, SGD momentum 0.9, 2 threads —
// seconds per epoch for our onnxruntime training graph against PyTorch on the same data and settings,
// measured in the same run (PyTorch through /usr/bin/python3 when torch is there). Prints the ratio.
// Run: npx tsx bench/train.ts [--epochs N] [--threads T] [--conv-grad] [--seeds N] [--drop-last]
// --seeds N: accuracy parity instead of time — N seeds (0…N−1) on each side, each scored on the 2,000
// digits of mnist:test after the last epoch; prints both distributions (mean ± sample std) and the gap
// in units of its standard error. Both sides run at once (one process each, --threads each).
// --drop-last: both sides drop the last partial batch (62 steps an epoch instead of 63, PyTorch's drop_last=True).
// --conv-grad also times the three forms of the conv weight gradient (the rule in autodiff/rules/conv.ts
// uses the fastest): im2col + batched MatMul, im2col + one Gemm after transposes, and the dilated-conv form.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadDataset } from '../main/engine/data';
import { silentContext } from '../main/engine/job-context';
import * as ort from 'onnxruntime-node';
import type { Dataset } from '../main/engine/data/types';
import { trainModel, type TrainOptions } from '../main/engine/train';
import { GraphBuilder } from '../main/engine/onnx/builder';
import { encodeModel, TensorDataType } from '../main/engine/onnx/proto';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EPOCHS = arg('epochs', 2), THREADS = arg('threads', 2), SEEDS = arg('seeds', 0), BATCH = 128, LR = 0.05;
const DROP_LAST = process.argv.includes('--drop-last');

// PyTorch's side, as a user writes it: a DataLoader-equivalent (a fresh randperm per epoch, the last
// partial batch kept unless drop_last), torch.manual_seed(seed) before the model is built. One line per
// epoch "seed epoch seconds loss", and with test files one line per seed "acc seed accuracy".
const PYTORCH = `
import sys, json, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
c = json.loads(sys.argv[1])
def load(xf, yf):
    return torch.from_numpy(np.fromfile(xf, dtype=np.float32).reshape(-1, 1, 28, 28)), torch.from_numpy(np.fromfile(yf, dtype=np.int64))
x, y = load(c['x'], c['y'])
torch.set_num_threads(c['threads'])
sys.path.insert(0, c['fixtures']); from seed_models import SmallCNN  # seed 002's class, as our smallcnn
batch = c['batch']
steps = len(x) // batch if c['dropLast'] else -(-len(x) // batch)
for seed in c['seeds']:
    torch.manual_seed(seed)
    m = SmallCNN(1, 28, 10); opt = torch.optim.SGD(m.parameters(), lr=c['lr'], momentum=0.9)
    for e in range(c['epochs']):
        t = time.perf_counter(); perm = torch.randperm(len(x)); tot = 0.0
        for s in range(steps):
            i = perm[s * batch:(s + 1) * batch]
            opt.zero_grad(); loss = F.cross_entropy(m(x[i]), y[i]); loss.backward(); opt.step(); tot += loss.item()
        print(f"{seed} {e + 1} {time.perf_counter() - t:.4f} {tot / steps:.4f}", flush=True)
    if 'tx' in c:
        tx, ty = load(c['tx'], c['ty'])
        m.eval()
        with torch.no_grad(): acc = (m(tx).argmax(1) == ty).float().mean().item()
        print(f"acc {seed} {acc:.6f}", flush=True)
`;

interface PytorchConfig { x: string; y: string; tx?: string; ty?: string; epochs: number; threads: number; batch: number; lr: number; seeds: number[]; dropLast: boolean; fixtures: string }
interface PytorchOut { seconds: number[]; losses: number[]; accuracy: Map<number, number> }

function hasTorch(): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function parsePytorch(out: string): PytorchOut {
  const r: PytorchOut = { seconds: [], losses: [], accuracy: new Map() };
  for (const line of out.trim().split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'acc') r.accuracy.set(Number(f[1]), Number(f[2]));
    else { r.seconds.push(Number(f[2])); r.losses.push(Number(f[3])); }
  }
  return r;
}

function runPytorch(c: PytorchConfig): Promise<PytorchOut> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', PYTORCH, JSON.stringify(c)], { encoding: 'utf8', maxBuffer: 1 << 24 }, (err, out) => (err ? reject(err) : resolve(parsePytorch(out))));
  });
}

const FIXTURES = path.join(__dirname, '..', 'scripts', 'fixtures');

type Form = 'batched' | 'gemm' | 'dilated';
function build(form: Form, N: number, C: number, H: number, O: number, k: number, pad: number) {
  const b = new GraphBuilder('g');
  const Ho = H + 2 * pad - k + 1;
  b.input('x', TensorDataType.FLOAT, [N, C, H, H]);
  b.input('gy', TensorDataType.FLOAT, [N, O, Ho, Ho]);
  let out: string;
  if (form === 'dilated') {
    const xt = b.op('Transpose', ['x'], { perm: [1, 0, 2, 3] });
    const gt = b.op('Transpose', ['gy'], { perm: [1, 0, 2, 3] });
    const c = b.op('Conv', [xt, gt], { kernel_shape: [Ho, Ho], pads: [pad, pad, pad, pad] }); // [C, O, k, k]
    out = b.op('Transpose', [c], { perm: [1, 0, 2, 3] });
  } else {
    const xp = pad ? b.op('Pad', ['x', b.constI64([0, 0, pad, pad, 0, 0, pad, pad])]) : 'x';
    const taps: string[] = [];
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      const s = b.op('Slice', [xp, b.constI64([i, j]), b.constI64([i + Ho, j + Ho]), b.constI64([2, 3])]);
      taps.push(b.op('Unsqueeze', [s, b.constI64([2])]));
    }
    const st = b.op('Concat', taps, { axis: 2 });
    if (form === 'batched') {
      const cols = b.op('Reshape', [st, b.constI64([N, 1, C * k * k, Ho * Ho])]);
      const g = b.op('Reshape', ['gy', b.constI64([N, 1, O, Ho * Ho])]);
      const p = b.op('MatMul', [g, b.op('Transpose', [cols], { perm: [0, 1, 3, 2] })]);
      out = b.op('Reshape', [b.op('ReduceSum', [p, b.constI64([0])], { keepdims: 0 }), b.constI64([O, C, k, k])]);
    } else {
      const cols = b.op('Reshape', [b.op('Transpose', [b.op('Reshape', [st, b.constI64([N, C * k * k, Ho * Ho])])], { perm: [1, 0, 2] }), b.constI64([C * k * k, N * Ho * Ho])]);
      const g = b.op('Reshape', [b.op('Transpose', [b.op('Reshape', ['gy', b.constI64([N, O, Ho * Ho])])], { perm: [1, 0, 2] }), b.constI64([O, N * Ho * Ho])]);
      out = b.op('Reshape', [b.op('Gemm', [g, cols], { transB: 1 }), b.constI64([O, C, k, k])]);
    }
  }
  b.output(out);
  return { model: b.toModel(), out, Ho };
}

async function convGradForms(): Promise<void> {
  console.log('conv weight-gradient forms (best of 5, ms):');
  for (const [N, C, H, O, k, pad] of [[64, 32, 32, 64, 3, 1], [128, 32, 13, 64, 3, 0], [128, 1, 28, 32, 3, 0]]) {
    const forms: Form[] = ['batched', 'gemm', 'dilated'];
    const sessions = await Promise.all(forms.map(async (f) => {
      const m = build(f, N, C, H, O, k, pad);
      return { f, m, s: await ort.InferenceSession.create(encodeModel(m.model), { intraOpNumThreads: THREADS }) };
    }));
    const Ho = sessions[0].m.Ho;
    const x = new ort.Tensor('float32', Float32Array.from({ length: N * C * H * H }, () => Math.random()), [N, C, H, H]);
    const gy = new ort.Tensor('float32', Float32Array.from({ length: N * O * Ho * Ho }, () => Math.random()), [N, O, Ho, Ho]);
    const best: Record<string, number> = {};
    for (let rep = 0; rep < 5; rep++) for (const { f, s } of sessions) {
      const t = performance.now(); await s.run({ x, gy }); best[f] = Math.min(best[f] ?? Infinity, performance.now() - t);
    }
    console.log(`  x ${N}×${C}×${H}×${H} → ${O} ch, ${k}×${k}, pad ${pad}: ${Object.entries(best).map(([f, t]) => `${f} ${t.toFixed(1)}`).join(', ')}`);
  }
}

function writeData(d: Dataset, dir: string, name: string): { x: string; y: string } {
  const x = path.join(dir, `${name}.f32`), y = path.join(dir, `${name}.i64`);
  writeFileSync(x, d.inputs);
  writeFileSync(y, BigInt64Array.from(d.labels, (v) => BigInt(v)));
  return { x, y };
}

function ourOptions(d: Dataset, seed: number, outDir: string): TrainOptions {
  return {
    arch: 'smallcnn', dataset: d, epochs: EPOCHS, batchSize: BATCH, optimizer: 'sgd', lr: LR, momentum: 0.9,
    seed, threads: THREADS, outDir, dropLast: DROP_LAST,
  };
}

/** Seconds per epoch, ours against PyTorch's, one seed each. */
async function timing(d: Dataset, dir: string): Promise<void> {
  const r = await trainModel(ourOptions(d, 0, path.join(dir, 'run')), silentContext());
  const ours = r.epochs.map((e) => e.seconds);
  console.log(`ours:    ${ours.map((s) => s.toFixed(2)).join(' s, ')} s per epoch (loss ${r.epochs.map((e) => e.loss.toFixed(3)).join(', ')}; ${r.stepsPerCall} steps per call)`);
  if (!hasTorch()) { console.log('pytorch: not available (/usr/bin/python3 has no torch); no ratio'); return; }
  const pt = await runPytorch({ ...writeData(d, dir, 'train'), epochs: EPOCHS, threads: THREADS, batch: BATCH, lr: LR, seeds: [0], dropLast: DROP_LAST, fixtures: FIXTURES });
  console.log(`pytorch: ${pt.seconds.map((s) => s.toFixed(2)).join(' s, ')} s per epoch (loss ${pt.losses.map((l) => l.toFixed(3)).join(', ')})`);
  // best epoch of each: the CPU is shared, so the least-disturbed epoch is the fairest figure of each side
  const ratio = Math.min(...ours) / Math.min(...pt.seconds);
  console.log(`ratio ours/pytorch (best epoch each): ${ratio.toFixed(2)}× — goal ≤ 1.0×`);
}

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return { mean, std };
}

const pct = (xs: number[]) => xs.map((a) => (100 * a).toFixed(2)).join(' ');

/** Test accuracy after EPOCHS epochs, N seeds each side, both sides running at once. */
async function accuracy(d: Dataset, dir: string): Promise<void> {
  if (!hasTorch()) { console.log('pytorch: not available (/usr/bin/python3 has no torch); nothing to compare'); return; }
  const test = await loadDataset('mnist:test');
  const seeds = Array.from({ length: SEEDS }, (_, i) => i);
  const t = writeData(test, dir, 'test');
  const pt = runPytorch({ ...writeData(d, dir, 'train'), tx: t.x, ty: t.y, epochs: EPOCHS, threads: THREADS, batch: BATCH, lr: LR, seeds, dropLast: DROP_LAST, fixtures: FIXTURES });
  const ours: number[] = [];
  for (const seed of seeds) {
    const r = await trainModel({ ...ourOptions(d, seed, path.join(dir, `run-${seed}`)), evalDataset: test }, silentContext());
    ours.push(r.epochs[r.epochs.length - 1].evalAccuracy!);
    console.log(`ours seed ${seed}: ${(100 * ours[ours.length - 1]).toFixed(2)} % (loss ${r.epochs.map((e) => e.loss.toFixed(3)).join(', ')})`);
  }
  const p = await pt;
  const theirs = seeds.map((s) => p.accuracy.get(s)!);
  const a = meanStd(ours), b = meanStd(theirs);
  console.log(`ours    test accuracy, ${SEEDS} seeds: ${pct(ours)} → ${(100 * a.mean).toFixed(2)} ± ${(100 * a.std).toFixed(2)} %`);
  console.log(`pytorch test accuracy, ${SEEDS} seeds: ${pct(theirs)} → ${(100 * b.mean).toFixed(2)} ± ${(100 * b.std).toFixed(2)} %`);
  // Welch's t: the gap between the means in units of its standard error (|t| < 2: within seed noise)
  const se = Math.sqrt((a.std ** 2 + b.std ** 2) / SEEDS);
  console.log(`gap ours − pytorch: ${(100 * (a.mean - b.mean)).toFixed(2)} points, t = ${((a.mean - b.mean) / (se || Infinity)).toFixed(2)}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--conv-grad')) await convGradForms();
  const d = await loadDataset('mnist:train');
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-bench-train-'));
  console.log(`SmallCNN on ${d.size} digits of ${d.id}, batch ${BATCH}${DROP_LAST ? ' (last partial dropped)' : ''}, SGD lr ${LR} momentum 0.9, ${THREADS} threads, ${EPOCHS} epochs`);
  if (SEEDS > 0) await accuracy(d, dir);
  else await timing(d, dir);
}

main().catch((e) => { console.error(e); process.exit(1); });
