// The CLI's `train` and `eval` with weights, end to end: real MNIST, real files, real exit codes; and the
// checkpoints we write load into PyTorch modules with the same names (when Debian's torch is present).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'main/cli.ts');
const PYTHON = '/usr/bin/python3';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The tensor bytes of a safetensors file (everything after the header), and its header. */
function safetensors(file: string): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> }; data: Buffer } {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return { header: JSON.parse(b.subarray(8, 8 + n).toString('utf8')), data: b.subarray(8 + n) };
}

interface EvalJson { accuracy: number; loss: number; n: number; per_class: { name: string; accuracy: number; n: number }[]; runDir: string }

const HIDDEN = '64';
let dir: string;
let run: string;
let trained: { code: number | null; out: string; err: string };

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-train-'));
  run = path.join(dir, 'mlp');
  trained = cli('train', '--arch', 'mlp', '--hidden', HIDDEN, '--dataset', 'mnist', '--epochs', '1', '--batch-size', '64',
    '--optimizer', 'sgd', '--lr', '0.1', '--momentum', '0.9', '--seed', '7', '--keep-from', '1', '--out', run, '--json');
});

afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

describe('merge-studio train', () => {
  it('trains an MLP on mnist:train and writes model.onnx, the kept checkpoint, metrics.jsonl and run.json', () => {
    expect(trained.err).not.toMatch(/Error|error:/);
    expect(trained.code).toBe(0);
    const r = JSON.parse(trained.out);
    expect(r.epochs).toHaveLength(1);
    expect(Object.keys(r.epochs[0])).toEqual(expect.arrayContaining(['epoch', 'seconds', 'loss', 'accuracy']));
    expect(r.epochs[0].epoch).toBe(1);
    expect(r.epochs[0].loss).toBeGreaterThan(0);
    expect(r.epochs[0].accuracy).toBeGreaterThan(0.5);
    expect(r.checkpoints).toEqual([path.join(run, 'checkpoints', 'epoch-001.safetensors')]);
    expect(r.model).toBe(path.join(run, 'model.onnx'));
    for (const f of ['model.onnx', 'checkpoints/epoch-001.safetensors', 'metrics.jsonl', 'run.json', 'init.safetensors']) {
      expect(fs.existsSync(path.join(run, f)), f).toBe(true);
    }
    const runJson = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
    expect(runJson).toMatchObject({ status: 'completed', arch: 'mlp', config: { hidden: [64] }, dataset: 'mnist:train', seed: 7, keepFrom: 1, batchSize: 64 });
    const lines = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'step')).toHaveLength(Math.floor(8000 / 64));
    expect(lines.filter((l) => l.kind === 'epoch')).toHaveLength(1);
    // names and layout of the checkpoint are PyTorch's
    const ck = safetensors(path.join(run, 'checkpoints/epoch-001.safetensors')).header;
    expect(Object.keys(ck).filter((k) => k !== '__metadata__')).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
    expect(ck['layers.0.weight'].shape).toEqual([64, 784]);
    expect(ck.__metadata__).toMatchObject({ arch: 'mlp', epoch: '1' });
  });

  it('eval gives the same numbers for model.onnx, the checkpoint with --arch, the checkpoint alone, and with --graph', () => {
    const onnx = cli('eval', path.join(run, 'model.onnx'), '--dataset', 'mnist:test', '--json');
    expect(onnx.code).toBe(0);
    const a = JSON.parse(onnx.out) as EvalJson;
    expect(Object.keys(a)).toEqual(['accuracy', 'loss', 'n', 'per_class', 'runDir']);
    // an eval run of the workspace, its numbers in eval.json
    expect(JSON.parse(fs.readFileSync(path.join(a.runDir, 'eval.json'), 'utf8'))).toMatchObject({ accuracy: a.accuracy, n: 2000 });
    expect(a.n).toBe(2000);
    expect(a.accuracy).toBeGreaterThan(0.5);
    expect(a.per_class).toHaveLength(10);
    const ckpt = path.join(run, 'checkpoints/epoch-001.safetensors');
    for (const extra of [['--arch', 'mlp', '--hidden', HIDDEN], [], ['--graph', path.join(run, 'model.onnx')]]) {
      const r = cli('eval', ckpt, '--dataset', 'mnist:test', '--json', ...extra);
      expect(r.code, `${extra.join(' ')}: ${r.err}`).toBe(0);
      const b = JSON.parse(r.out) as EvalJson;
      expect(b.n).toBe(a.n);
      expect(Math.abs(b.accuracy - a.accuracy)).toBeLessThan(1e-6);
      expect(Math.abs(b.loss - a.loss)).toBeLessThan(1e-6);
      expect(b.per_class.map((c) => c.accuracy)).toEqual(a.per_class.map((c) => c.accuracy));
    }
  });

  it('eval reads PyTorch .pt weights with --arch (widths read off the shapes) and with --graph', () => {
    const pt = path.join(dir, 'weights.pt');
    expect(cli('convert', path.join(run, 'checkpoints/epoch-001.safetensors'), pt).code).toBe(0);
    const ref = JSON.parse(cli('eval', path.join(run, 'model.onnx'), '--json').out) as EvalJson;
    for (const extra of [['--arch', 'mlp'], ['--graph', path.join(run, 'model.onnx')]]) {
      const r = cli('eval', pt, '--json', ...extra);
      expect(r.code, r.err).toBe(0);
      expect(Math.abs(JSON.parse(r.out).accuracy - ref.accuracy)).toBeLessThan(1e-6);
    }
  });

  it('eval refuses weights it cannot place with exit code 2 and one line', () => {
    const ckpt = path.join(run, 'checkpoints/epoch-001.safetensors');
    // weights that say nothing of their architecture (a converted checkpoint of ours keeps it in its metadata)
    const pt = path.join(ROOT, 'tests/fixtures/merge/cnn_0.pt');
    const cases: [string[], RegExp][] = [
      [[pt], /cnn_0\.pt holds weights only and says no architecture; give --arch .* or --graph/],
      [[ckpt, '--arch', 'mlp', '--hidden', '32'], /layers\.0\.weight.*\[64, 784\]/],
      [[ckpt, '--arch', 'vgg'], /block_1\.0\.weight/],
      [[ckpt, '--arch', 'nosuch'], /unknown architecture/],
      [[ckpt, '--arch', 'mlp', '--graph', path.join(run, 'model.onnx')], /either --arch or --graph/],
      [[ckpt, '--graph', path.join(ROOT, 'tests/fixtures/formats/tiny_cnn.onnx')], /tiny_cnn\.onnx/],
    ];
    for (const [args, message] of cases) {
      const r = cli('eval', ...args, '--json');
      expect(r.code, args.join(' ')).toBe(2);
      // with --json the refusal is on stdout too, as JSON with the same one-line reason
      expect(JSON.parse(r.out)).toEqual({ ok: false, exitCode: 2, error: r.err.trim().replace(/^merge-studio eval: /, '') });
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).toMatch(message);
    }
  });

  it('refuses bad flags with exit code 2 and one line, writing nothing', () => {
    const out = path.join(dir, 'never');
    const base = ['--epochs', '1', '--out', out];
    const shortOrder = path.join(dir, 'short-order.txt');
    fs.writeFileSync(shortOrder, '2 0 1\n');
    const cases: [string[], RegExp][] = [
      [['--arch', 'transformer', ...base], /unknown architecture "transformer"/],
      [['--arch', 'mlp', '--dataset', 'cifar:train', ...base], /--dataset.*unknown dataset kind "cifar"/],
      [['--arch', 'mlp', '--lr', 'fast', ...base], /--lr must be a positive number/],
      [['--arch', 'mlp', '--lr', '-1', ...base], /--lr/],
      [['--arch', 'mlp', '--optimizer', 'rmsprop', ...base], /--optimizer must be one of sgd, adam, adamw/],
      [['--arch', 'mlp', '--hidden', '64,x', ...base], /--hidden/],
      [['--arch', 'smallcnn', '--hidden', '64', ...base], /--hidden applies to --arch mlp/],
      [['--arch', 'mlp', '--batch-size', '0', ...base], /--batch-size must be a positive integer/],
      [['--arch', 'mlp', '--epochs', '2.5', '--out', out], /--epochs/],
      [['--arch', 'mlp', '--seed', 'abc', ...base], /--seed must be an integer/],
      [['--arch', 'mlp', '--schedule', 'linear', ...base], /--schedule must be one of constant, step, cosine/],
      [['--arch', 'mlp', '--ep', 'tpu', ...base], /--ep must be one of cpu, cuda, dml/],
      [['--arch', 'mlp', '--task', 'mirror', ...base], /unknown task "mirror"/],
      [['--arch', 'mlp', '--keep-from', '5', ...base], /--keep-from 5 is after the last epoch/],
      [['--arch', 'mlp', '--couple-lambda', '0.1', ...base], /--couple-lambda needs --couple-with/],
      [['--arch', 'mlp', '--couple-with', out, ...base], /another folder/],
      [['--arch', 'mlp', '--init-from', path.join(dir, 'nothing-here'), ...base], /--init-from/],
      [['--arch', 'mlp', '--model', path.join(run, 'model.onnx'), ...base], /either --arch or --model/],
      [['--arch', 'mlp', '--order', path.join(dir, 'no-order.json'), ...base], /--order: .*no-order.json is not a file/],
      [['--arch', 'mlp', '--order', shortOrder, '--no-shuffle', ...base], /--order FILE or --no-shuffle, not both/],
      [['--arch', 'mlp', '--order', shortOrder, ...base], /--order: order file .*lists 3 indices; the dataset has 8000 examples/],
      [['--arch', 'mlp', '--checkpoint-every-steps', '0', ...base], /--checkpoint-every-steps must be a positive integer/],
      [['--arch', 'mlp', '--epochs', '1', '--out', path.join(run, 'model.onnx')], /--out .*model\.onnx is a file; give a folder/],
      [['--arch', 'mlp', '--epochs', '1', '--out', run], /--out .*mlp exists; nothing was replaced: it holds an earlier run's files \(run\.json, model\.onnx.*--overwrite/],
      [['--arch', 'mlp', '--frobnicate', ...base], /frobnicate/],
    ];
    for (const [args, message] of cases) {
      const r = cli('train', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
      expect(r.err).toMatch(message);
    }
    expect(fs.existsSync(out)).toBe(false);
    expect(cli('train', '--help').out).toMatch(/--couple-with DIR2/);
  }, 400_000); // two dozen CLI starts: slow on a loaded 2-core machine

  it('--no-shuffle and --order FILE (the same order) train the same steps; the last partial batch is kept unless --drop-last', () => {
    const identity = path.join(dir, 'identity.json');
    fs.writeFileSync(identity, JSON.stringify([Array.from({ length: 1000 }, (_, i) => i)]));
    // mnist:val has 1,000 digits: 7 batches of 128 and one of 104
    const train = (name: string, ...flags: string[]) => {
      const out = path.join(dir, name);
      const r = cli('train', '--arch', 'mlp', '--hidden', '16', '--dataset', 'mnist:val', '--epochs', '1', '--batch-size', '128',
        '--lr', '0.05', '--checkpoint-every-steps', '4', '--out', out, '--json', ...flags);
      expect(r.code, r.err).toBe(0);
      return { j: JSON.parse(r.out), run: JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) };
    };
    const plain = train('no-shuffle', '--no-shuffle');
    const ordered = train('ordered', '--order', identity);
    expect(plain.j.checkpoints.map((f: string) => path.basename(f))).toEqual(['step-000004.safetensors', 'step-000008.safetensors']);
    expect(plain.run).toMatchObject({ order: 'dataset', dropLast: false, checkpointEverySteps: 4 });
    expect(ordered.run.order).toEqual({ file: identity });
    for (const i of [0, 1]) expect(safetensors(plain.j.checkpoints[i]).data.equals(safetensors(ordered.j.checkpoints[i]).data)).toBe(true);
    const dropped = train('drop-last', '--no-shuffle', '--drop-last');
    expect(dropped.run.dropLast).toBe(true);
    expect(dropped.j.checkpoints.map((f: string) => path.basename(f))).toEqual(['step-000004.safetensors']);
    expect(safetensors(dropped.j.checkpoints[0]).data.equals(safetensors(plain.j.checkpoints[0]).data)).toBe(true);
  }, 120_000);

  it('--couple-with trains a partner run in lockstep from the same initial weights, on its own task', () => {
    const a = path.join(dir, 'pair-a');
    const b = path.join(dir, 'pair-b');
    const r = cli('train', '--arch', 'vgg', '--width', '4', '--dataset', 'mnist', '--task', 'subset:0-1', '--partner-task', 'subset:0-1',
      '--partner-task', 'invert', '--epochs', '1', '--batch-size', '128', '--optimizer', 'adam', '--lr', '0.01', '--seed', '3',
      '--keep-from', '1', '--out', a, '--couple-with', b, '--couple-lambda', '0.1', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.coupling).toEqual({ lambda: 0.1 });
    expect(j.checkpoints).toEqual([path.join(a, 'checkpoints/epoch-001.safetensors')]);
    expect(j.partner.checkpoints).toEqual([path.join(b, 'checkpoints/epoch-001.safetensors')]);
    expect(j.partner.epochs).toHaveLength(1);
    const ra = JSON.parse(fs.readFileSync(path.join(a, 'run.json'), 'utf8'));
    const rb = JSON.parse(fs.readFileSync(path.join(b, 'run.json'), 'utf8'));
    expect(ra).toMatchObject({ status: 'completed', dataset: 'mnist:train?task=subset:0-1', seed: 3 });
    expect(rb).toMatchObject({ status: 'completed', dataset: 'mnist:train?task=subset:0-1&task=invert', seed: 4 });
    // same initial weights (the headers differ only in the recorded seed), different trained ones
    expect(safetensors(path.join(a, 'init.safetensors')).data.equals(safetensors(path.join(b, 'init.safetensors')).data)).toBe(true);
    expect(safetensors(j.checkpoints[0]).data.equals(safetensors(j.partner.checkpoints[0]).data)).toBe(false);
    const ev = cli('eval', j.partner.checkpoints[0], '--dataset', 'mnist:test?task=subset:0-1&task=invert', '--json');
    expect(ev.code, ev.err).toBe(0);
    // (one epoch of 13 steps leaves BatchNorm's running statistics far from settled: no accuracy bar here)
    expect(JSON.parse(ev.out).n).toBeGreaterThan(300);
  });

  it('fine-tunes an ONNX model (--model) and starts from a run\'s initial weights (--init-from)', () => {
    const ft = path.join(dir, 'ft');
    const r = cli('train', '--model', path.join(run, 'model.onnx'), '--epochs', '1', '--batch-size', '100', '--lr', '0.05',
      '--eval-dataset', 'mnist:test', '--out', ft, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).epochs[0].evalAccuracy).toBeGreaterThan(0.8);
    const init = path.join(dir, 'init');
    const i = cli('train', '--arch', 'mlp', '--hidden', HIDDEN, '--init-from', run, '--epochs', '1', '--batch-size', '500',
      '--optimizer', 'adamw', '--lr', '0.001', '--weight-decay', '0.01', '--schedule', 'cosine', '--seed', '99', '--out', init, '--json');
    expect(i.code, i.err).toBe(0);
    expect(safetensors(path.join(init, 'init.safetensors')).data.equals(safetensors(path.join(run, 'init.safetensors')).data)).toBe(true);
  });

  it('Ctrl-C cancels: exit 130, run.json says cancelled, kept checkpoints stay valid', async () => {
    const out = path.join(dir, 'cancel');
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'train', '--arch', 'mlp', '--hidden', '32', '--epochs', '200',
      '--batch-size', '64', '--lr', '0.05', '--keep-from', '1', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(path.join(out, 'checkpoints', 'epoch-002.safetensors')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await exited;
    expect(code, err).toBe(130);
    expect(err).toMatch(/cancelled/);
    const runJson = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(runJson.status).toBe('cancelled');
    expect(runJson.checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(runJson.checkpoints.length).toBeLessThan(200);
    const kept = fs.readdirSync(path.join(out, 'checkpoints'));
    expect(kept.length).toBe(runJson.checkpoints.length);
    const last = path.join(out, 'checkpoints', kept.sort()[kept.length - 1]);
    const ev = cli('eval', last, '--json');
    expect(ev.code, ev.err).toBe(0);
    expect(JSON.parse(ev.out).accuracy).toBeGreaterThan(0.5);
    expect(fs.existsSync(path.join(out, 'model.onnx'))).toBe(true);
  });
});

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

// Builds the PyTorch modules our built-in architectures name (models/mlp.ts, models/vgg.ts), loads our
// safetensors files into them with strict=True (parsed with struct+json: no safetensors package), and
// prints each model's logits on a fixed input, for comparison with onnxruntime on our model.onnx.
const TORCH_SNIPPET = String.raw`
import json, struct, sys
import torch, torch.nn as nn

def read_safetensors(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    meta = header.pop('__metadata__', {})
    dtypes = {'F32': torch.float32, 'I64': torch.int64, 'F16': torch.float16, 'BF16': torch.bfloat16}
    out = {}
    for name, t in header.items():
        s, e = t['data_offsets']
        out[name] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=dtypes[t['dtype']]).reshape(t['shape']).clone()
    return out, meta

class MLP(nn.Module):
    def __init__(self, features, hidden, classes):
        super().__init__()
        layers, f = [], features
        for h in hidden:
            layers += [nn.Linear(f, h), nn.ReLU()]
            f = h
        layers.append(nn.Linear(f, classes))
        self.layers = nn.Sequential(*layers)
    def forward(self, x):
        return self.layers(x.flatten(1))

class VGG(nn.Module):
    # seed 001's module tree: block_k = (Conv, BN, ReLU) per conv + MaxPool; classifier (Linear, ReLU, Dropout)* + Linear
    def __init__(self, c, h, w, blocks, hidden, p, classes):
        super().__init__()
        for i, convs in enumerate(blocks):
            layers = []
            for o in convs:
                layers += [nn.Conv2d(c, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]
                c = o
            layers.append(nn.MaxPool2d(2))
            setattr(self, f'block_{i + 1}', nn.Sequential(*layers))
        self.n = len(blocks)
        f, layers = c * (h // 2 ** self.n) * (w // 2 ** self.n), []
        for k in hidden:
            layers += [nn.Linear(f, k), nn.ReLU(), nn.Dropout(p)]
            f = k
        layers.append(nn.Linear(f, classes))
        self.classifier = nn.Sequential(*layers)
    def forward(self, x):
        for i in range(self.n):
            x = getattr(self, f'block_{i + 1}')(x)
        return self.classifier(x.flatten(1))

def fixed_input(n, shape):
    count = n
    for s in shape: count *= s
    return torch.tensor([((i * 37) % 101) / 100 for i in range(count)], dtype=torch.float32).reshape([n] + list(shape))

results = {}
for job in json.loads(sys.argv[1]):
    sd, meta = read_safetensors(job['file'])
    shape = json.loads(meta['input_shape'])
    classes = int(meta['num_classes'])
    config = json.loads(meta['config'])
    if meta['arch'] == 'mlp':
        m = MLP(shape[0] * shape[1] * shape[2], config['hidden'], classes)
    else:
        m = VGG(shape[0], shape[1], shape[2], config['blocks'], config['hidden'], config['dropout'], classes)
    m.load_state_dict(sd, strict=True)
    m.eval()
    with torch.no_grad():
        logits = m(fixed_input(3, shape))
    results[job['file']] = {'names': list(m.state_dict().keys()), 'logits': logits.flatten().tolist(), 'shape': shape}
print(json.dumps(results))
`;

describe.skipIf(!hasTorch)('checkpoints load in PyTorch', () => {
  it('load_state_dict(strict=True) takes our MLP and VGG (BatchNorm) checkpoints, and gives model.onnx\'s logits', async () => {
    const vggRun = path.join(dir, 'pair-a');
    if (!fs.existsSync(path.join(vggRun, 'checkpoints/epoch-001.safetensors'))) {
      const r = cli('train', '--arch', 'vgg', '--width', '4', '--task', 'subset:0-1', '--epochs', '1', '--batch-size', '128',
        '--optimizer', 'adam', '--lr', '0.01', '--keep-from', '1', '--out', vggRun);
      expect(r.code, r.err).toBe(0);
    }
    const jobs = [run, vggRun].map((d) => ({ dir: d, file: path.join(d, 'checkpoints/epoch-001.safetensors') }));
    const py = spawnSync(PYTHON, ['-c', TORCH_SNIPPET, JSON.stringify(jobs.map((j) => ({ file: j.file })))], { encoding: 'utf8', timeout: 60_000 });
    expect(py.status, py.stderr).toBe(0);
    const results = JSON.parse(py.stdout) as Record<string, { names: string[]; logits: number[]; shape: number[] }>;
    for (const j of jobs) {
      const res = results[j.file];
      const header = safetensors(j.file).header;
      expect(res.names).toEqual(Object.keys(header).filter((k) => k !== '__metadata__'));
      // the same weights through our model.onnx on the same input
      const per = res.shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: 3 * per }, (_, i) => ((i * 37) % 101) / 100);
      const session = await ort.InferenceSession.create(path.join(j.dir, 'model.onnx'));
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [3, ...res.shape]) });
      const ours = Array.from(out[session.outputNames[0]].data as Float32Array);
      await session.release();
      expect(ours).toHaveLength(res.logits.length);
      const maxDiff = Math.max(...ours.map((v, i) => Math.abs(v - res.logits[i])));
      expect(maxDiff).toBeLessThan(1e-4);
    }
    expect(results[jobs[1].file].names).toContain('block_1.1.num_batches_tracked');
  });
});
