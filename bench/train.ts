// Benchmark: seed 002's SmallCNN on the 8,000 digits of mnist:train, batch 128, SGD momentum 0.9, 2 threads —
// seconds per epoch for our onnxruntime training graph against PyTorch on the same data and settings,
// measured in the same run (PyTorch through /usr/bin/python3 when torch is there). Prints the ratio.
// Run: npx tsx bench/train.ts [--epochs N] [--threads T] [--conv-grad]
// --conv-grad also times the three forms of the conv weight gradient (the rule in autodiff/rules/conv.ts
// uses the fastest): im2col + batched MatMul, im2col + one Gemm after transposes, and the dilated-conv form.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadDataset } from '../main/engine/data';
import { silentContext } from '../main/engine/job-context';
import * as ort from 'onnxruntime-node';
import { trainModel } from '../main/engine/train';
import { GraphBuilder } from '../main/engine/onnx/builder';
import { encodeModel, TensorDataType } from '../main/engine/onnx/proto';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EPOCHS = arg('epochs', 2), THREADS = arg('threads', 2), BATCH = 128, LR = 0.05;

const PYTORCH = `
import sys, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
x = torch.from_numpy(np.fromfile(sys.argv[1], dtype=np.float32).reshape(-1, 1, 28, 28))
y = torch.from_numpy(np.fromfile(sys.argv[2], dtype=np.int64))
epochs, threads, batch, lr = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
torch.set_num_threads(threads); torch.manual_seed(0)
sys.path.insert(0, sys.argv[7]); from seed_models import SmallCNN  # seed 002's class, as our smallcnn
m = SmallCNN(1, 28, 10); opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)
steps = len(x) // batch  # same drop-last rule as ours
for e in range(epochs):
    t = time.perf_counter(); perm = torch.randperm(len(x)); tot = 0.0
    for s in range(steps):
        i = perm[s * batch:(s + 1) * batch]
        opt.zero_grad(); loss = F.cross_entropy(m(x[i]), y[i]); loss.backward(); opt.step(); tot += loss.item()
    print(f"{time.perf_counter() - t:.4f} {tot / steps:.4f}", flush=True)
`;

function pytorchSeconds(xFile: string, yFile: string): { seconds: number[]; losses: number[] } | undefined {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const out = execFileSync('/usr/bin/python3', ['-c', PYTORCH, xFile, yFile, String(EPOCHS), String(THREADS), String(BATCH), String(LR), path.join(__dirname, '..', 'scripts', 'fixtures')], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => l.split(' ').map(Number));
  return { seconds: rows.map((r) => r[0]), losses: rows.map((r) => r[1]) };
}

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

async function main(): Promise<void> {
  if (process.argv.includes('--conv-grad')) await convGradForms();
  const d = await loadDataset('mnist:train');
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-bench-train-'));
  const xFile = path.join(dir, 'x.f32'), yFile = path.join(dir, 'y.i64');
  writeFileSync(xFile, d.inputs);
  writeFileSync(yFile, BigInt64Array.from(d.labels, (v) => BigInt(v)));
  console.log(`SmallCNN on ${d.size} digits of ${d.id}, batch ${BATCH}, SGD lr ${LR} momentum 0.9, ${THREADS} threads, ${EPOCHS} epochs`);

  const r = await trainModel({
    arch: 'smallcnn', dataset: d, epochs: EPOCHS, batchSize: BATCH, optimizer: 'sgd', lr: LR, momentum: 0.9,
    seed: 0, threads: THREADS, outDir: path.join(dir, 'run'),
  }, silentContext());
  const ours = r.epochs.map((e) => e.seconds);
  console.log(`ours:    ${ours.map((s) => s.toFixed(2)).join(' s, ')} s per epoch (loss ${r.epochs.map((e) => e.loss.toFixed(3)).join(', ')}; ${r.stepsPerCall} steps per call)`);

  const pt = pytorchSeconds(xFile, yFile);
  if (!pt) { console.log('pytorch: not available (/usr/bin/python3 has no torch); no ratio'); return; }
  console.log(`pytorch: ${pt.seconds.map((s) => s.toFixed(2)).join(' s, ')} s per epoch (loss ${pt.losses.map((l) => l.toFixed(3)).join(', ')})`);
  // best epoch of each: the CPU is shared, so the least-disturbed epoch is the fairest figure of each side
  const ratio = Math.min(...ours) / Math.min(...pt.seconds);
  console.log(`ratio ours/pytorch (best epoch each): ${ratio.toFixed(2)}× — goal ≤ 1.0×`);
}

main().catch((e) => { console.error(e); process.exit(1); });
