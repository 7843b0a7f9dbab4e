// Benchmark: evaluation throughput. The 2,000 digits of mnist:test through SmallCNN (seed 002's) and the
// MLP (784→512→512→10), with the same random weights on both sides:
//   ours      evaluateModel (main/engine/evaluate/), the engine's evaluation path end to end: session from
//             the model's bytes, batches through onnxruntime, loss, accuracy, per-class and confusion
//   pytorch   /usr/bin/python3, the same architectures with our weights loaded, torch.inference_mode():
//             batches through the model, cross-entropy, accuracy (skipped when torch is missing)
// with the same intra-op threads and batch size, in turns, several rounds each. Prints images/s for both
// and the ratio (goal ≥ 1.0× PyTorch's), and checks that both predict the same classes.
// Our time includes opening the session (each evaluateModel call opens one); PyTorch's model is built once.
// The MLP's whole pass takes tens of milliseconds, so its ratio swings most with what else the cores run.
// Run: npx tsx bench/eval.ts [--threads 2] [--batch 256] [--rounds 3] [--reps 5]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDataset, type Dataset } from '../main/engine/data';
import { evaluateModel, predict } from '../main/engine/evaluate';
import { getArchitecture, inferenceModel, initialState, type StateDict } from '../main/engine/models';
import { encodeModel } from '../main/engine/onnx/proto';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const THREADS = arg('threads', 2), BATCH = arg('batch', 256), ROUNDS = arg('rounds', 3), REPS = arg('reps', 5);
const ARCHS = [
  { id: 'smallcnn', torch: 'SmallCNN(1, 28, 10)' },
  { id: 'mlp', torch: 'MLP(784, [512, 512], 10)' },
] as const;

const PYTORCH = `
import sys, json, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
x_file, y_file, threads, batch, reps, fixtures = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
models = json.loads(sys.argv[7])
torch.set_num_threads(threads); torch.set_num_interop_threads(1)
sys.path.insert(0, fixtures); from seed_models import SmallCNN  # seed 002's class, as our smallcnn
class MLP(nn.Module):  # as our mlp: layers.0, layers.2, ... on x.flatten(1)
    def __init__(self, features, hidden, classes):
        super().__init__()
        widths, mods = [features, *hidden], []
        for a, b in zip(widths, widths[1:]): mods += [nn.Linear(a, b), nn.ReLU()]
        self.layers = nn.Sequential(*mods, nn.Linear(widths[-1], classes))
    def forward(self, x): return self.layers(x.flatten(1))
x = torch.from_numpy(np.fromfile(x_file, dtype=np.float32).reshape(-1, 1, 28, 28))
y = torch.from_numpy(np.fromfile(y_file, dtype=np.int64))
out = {}
for m in models:
    net = eval(m['torch'])
    raw = np.fromfile(m['weights'], dtype=np.float32)
    net.load_state_dict({t['name']: torch.from_numpy(raw[t['offset']:t['offset'] + int(np.prod(t['shape']))].reshape(t['shape'])) for t in m['tensors']})
    net.eval()
    def evaluate():
        with torch.inference_mode():
            logits = torch.cat([net(x[i:i + batch]) for i in range(0, len(x), batch)])
            loss = F.cross_entropy(logits, y).item()
            pred = logits.argmax(1)
            return pred, (pred == y).float().mean().item(), loss
    evaluate()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter(); pred, acc, loss = evaluate(); times.append(time.perf_counter() - t)
    out[m['id']] = {'seconds': times, 'accuracy': acc, 'loss': loss, 'pred': pred.tolist()}
print(json.dumps(out))
`;

interface Side { seconds: number[]; accuracy: number; loss: number; pred?: number[] }

/** Writes the state's float tensors into one raw f32 file, with where each lies, for PyTorch to load. */
function exportState(state: StateDict, file: string): { name: string; shape: number[]; offset: number }[] {
  const tensors: { name: string; shape: number[]; offset: number }[] = [];
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of state) {
    if (!(t.data instanceof Float32Array)) continue;
    tensors.push({ name, shape: t.shape, offset });
    parts.push(t.data);
    offset += t.data.length;
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  writeFileSync(file, all);
  return tensors;
}

async function ours(model: Uint8Array, d: Dataset): Promise<Side> {
  const options = { batchSize: BATCH, sessionOptions: { intraOpNumThreads: THREADS, interOpNumThreads: 1 } };
  await evaluateModel(model, d, options); // warm-up
  const seconds: number[] = [];
  let last = { accuracy: 0, loss: 0 };
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    last = await evaluateModel(model, d, options);
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds, accuracy: last.accuracy, loss: last.loss };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main(): Promise<void> {
  const d = await loadDataset('mnist:test');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-bench-eval-'));
  try {
    const xFile = path.join(dir, 'x.f32'), yFile = path.join(dir, 'y.i64');
    writeFileSync(xFile, d.inputs);
    writeFileSync(yFile, BigInt64Array.from(d.labels, (v) => BigInt(v)));
    const models = ARCHS.map((a, k) => {
      const graph = getArchitecture(a.id).build({ inputShape: d.inputShape, numClasses: d.numClasses });
      const state = initialState(graph, 1 + k);
      const weights = path.join(dir, `${a.id}.f32`);
      return { ...a, bytes: encodeModel(inferenceModel(graph, state)), weights, tensors: exportState(state, weights) };
    });
    const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
    const torchRun = (): Record<string, Side> | undefined => {
      const spec = JSON.stringify(models.map(({ id, torch, weights, tensors }) => ({ id, torch, weights, tensors })));
      const run = spawnSync('/usr/bin/python3', ['-c', PYTORCH, xFile, yFile, String(THREADS), String(BATCH), String(REPS), path.join(__dirname, '..', 'scripts', 'fixtures'), spec], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (run.status !== 0) { console.log(`pytorch run failed: ${run.stderr.slice(-800)}`); return undefined; }
      return JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, Side>;
    };

    console.log(`${d.size} digits of ${d.id}, batch ${BATCH}, ${THREADS} intra-op thread${THREADS === 1 ? '' : 's'}; ${ROUNDS} rounds of ${REPS} timed passes each side, in turns`);
    const times = new Map(models.map((m) => [m.id, { ours: [] as number[], torch: [] as number[], our: undefined as Side | undefined, their: undefined as Side | undefined }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const m of models) {
        const r = await ours(m.bytes, d);
        const t = times.get(m.id)!;
        t.ours.push(...r.seconds);
        t.our = r;
      }
      const torch = hasTorch ? torchRun() : undefined;
      for (const m of models) {
        const t = times.get(m.id)!;
        if (torch?.[m.id]) { t.torch.push(...torch[m.id].seconds); t.their = torch[m.id]; }
      }
    }

    const rate = (s: number) => d.size / s;
    const range = (xs: number[]) => `${Math.round(rate(Math.max(...xs)))}–${Math.round(rate(Math.min(...xs)))}`;
    for (const m of models) {
      const t = times.get(m.id)!;
      const oursRate = rate(median(t.ours));
      console.log(`\n${m.id} (${getArchitecture(m.id).describe({ inputShape: d.inputShape, numClasses: d.numClasses })}):`);
      console.log(`  ours (evaluateModel): ${Math.round(oursRate)} images/s (median of ${t.ours.length}; ${range(t.ours)}); accuracy ${t.our!.accuracy.toFixed(4)}, loss ${t.our!.loss.toFixed(4)}`);
      if (!t.torch.length) { console.log('  pytorch:             skipped (/usr/bin/python3 -c "import torch" does not work here)'); continue; }
      const torchRate = rate(median(t.torch));
      console.log(`  pytorch:             ${Math.round(torchRate)} images/s (median of ${t.torch.length}; ${range(t.torch)}); accuracy ${t.their!.accuracy.toFixed(4)}, loss ${t.their!.loss.toFixed(4)}`);
      // Per-round ratios (each round's medians, measured next to each other) show the spread.
      const perRound = Array.from({ length: ROUNDS }, (_, r) => median(t.torch.slice(r * REPS, (r + 1) * REPS)) / median(t.ours.slice(r * REPS, (r + 1) * REPS)));
      console.log(`  ours / pytorch:      ${(oursRate / torchRate).toFixed(2)}× (rounds: ${perRound.map((x) => x.toFixed(2)).join(', ')}; goal ≥ 1.0×)`);
      const p = await predict(m.bytes, d, { batchSize: BATCH, sessionOptions: { intraOpNumThreads: THREADS } });
      const same = t.their!.pred!.reduce((n, c, i) => n + (c === p.predictions[i] ? 1 : 0), 0);
      console.log(`  same predicted class as PyTorch: ${same} / ${d.size}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
