// Header-only inspection of big models as `merge-studio inspect FILE` does it (inspectModel: open, sizes
// checked, the summary built; no tensor read): time and peak RSS, against peers measured in the same run.
// Goals: under 1 s and under 100 MB peak RSS for each file.
//   peers:
//   - 4 GB safetensors        vs. reading the 8-byte length + JSON.parse of the header alone
//   - 2 GB ONNX + external data vs. decoding the (small) .onnx with the whole-model decoder
//   - 1.9 GB ONNX, inline data vs. reading the file once, sequentially (what any non-scanning reader costs)
// Files are sparse (holes read as zeros), made under a temp dir and deleted after.
// Each measurement runs in its own child process so its peak RSS is its own.
// Run: npx tsx bench/inspect.ts
import { fork } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inspectModel } from '../main/engine/inspect';
import { decodeModel, encodeModel, encodeTensor, TensorDataType, type ModelProto, type TensorProto } from '../main/engine/onnx/proto';
import { ProtoWriter } from '../main/engine/onnx/wire';

const GB = 1024 ** 3;
const TENSOR_BYTES = 4 * 1024 * 1024; // 4 MiB: 1024 f32 × 1024

interface Measure { ms: number; maxRssMb: number; tensors: number }

// ---------------------------------------------------------------- file makers

async function makeSafetensors(file: string, totalBytes: number): Promise<void> {
  const n = Math.floor(totalBytes / TENSOR_BYTES);
  const header: Record<string, unknown> = { __metadata__: { made_by: 'bench/inspect.ts' } };
  for (let i = 0; i < n; i++) header[`layers.${i}.weight`] = { dtype: 'F32', shape: [1024, 1024], data_offsets: [i * TENSOR_BYTES, (i + 1) * TENSOR_BYTES] };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const h = await fs.open(file, 'w');
  await h.write(Buffer.concat([len, json]), 0, 8 + json.length, 0);
  await h.truncate(8 + json.length + n * TENSOR_BYTES);
  await h.close();
}

function chainGraph(n: number, initializer: TensorProto[]): ModelProto {
  const node = Array.from({ length: n }, (_, i) => ({ opType: 'Add', input: [i ? `h${i - 1}` : 'x', `w${i}`], output: [i === n - 1 ? 'y' : `h${i}`], attribute: [] }));
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: TensorDataType.FLOAT, shape: [{ dimValue: 1024 }, { dimValue: 1024 }] } } });
  return { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], metadataProps: [], graph: { name: 'bench', node, initializer, input: [vi('x')], output: [vi('y')], valueInfo: [] } };
}

async function makeExternalOnnx(file: string, totalBytes: number): Promise<void> {
  const n = Math.floor(totalBytes / TENSOR_BYTES);
  const location = `${path.basename(file)}.data`;
  const inits: TensorProto[] = Array.from({ length: n }, (_, i) => ({
    name: `w${i}`, dataType: TensorDataType.FLOAT, dims: [1024, 1024], dataLocation: 1,
    externalData: [{ key: 'location', value: location }, { key: 'offset', value: String(i * TENSOR_BYTES) }, { key: 'length', value: String(TENSOR_BYTES) }],
  }));
  await fs.writeFile(file, encodeModel(chainGraph(n, inits)));
  const d = await fs.open(path.join(path.dirname(file), location), 'w');
  await d.truncate(n * TENSOR_BYTES);
  await d.close();
}

/** An inline-data ONNX written field by field, leaving each raw_data payload as a hole. */
async function makeInlineOnnx(file: string, totalBytes: number): Promise<void> {
  const n = Math.floor(totalBytes / TENSOR_BYTES);
  const skeleton = chainGraph(n, []);
  const varint = (v: number) => { const w = new ProtoWriter(); w.varint(v); return Buffer.from(w.finish()); };
  const tensorFields = Array.from({ length: n }, (_, i) => {
    const w = new ProtoWriter();
    encodeTensor(w, { name: `w${i}`, dataType: TensorDataType.FLOAT, dims: [1024, 1024] });
    const head = Buffer.concat([Buffer.from(w.finish()), Buffer.from([0x4a]), varint(TENSOR_BYTES)]);
    return Buffer.concat([Buffer.from([0x2a]), varint(head.length + TENSOR_BYTES), head]);
  });
  const gw = new ProtoWriter();
  const { encodeGraph } = await import('../main/engine/onnx/proto');
  encodeGraph(gw, skeleton.graph);
  const graphRest = Buffer.from(gw.finish());
  const graphLen = graphRest.length + tensorFields.reduce((s, f) => s + f.length + TENSOR_BYTES, 0);
  const top = new ProtoWriter();
  top.int(1, 8);
  top.message(8, (m) => { m.string(1, ''); m.int(2, 17); });
  const h = await fs.open(file, 'w');
  let pos = 0;
  const put = async (b: Buffer) => { await h.write(b, 0, b.length, pos); pos += b.length; };
  await put(Buffer.from(top.finish()));
  await put(Buffer.concat([Buffer.from([0x3a]), varint(graphLen)]));
  await put(graphRest);
  for (const f of tensorFields) { await put(f); pos += TENSOR_BYTES; }
  await h.truncate(pos);
  await h.close();
}

// ---------------------------------------------------------------- measurements (in a child)

async function measure(kind: string, file: string): Promise<Measure> {
  const t0 = performance.now();
  let tensors = 0;
  if (kind === 'ours') {
    const info = await inspectModel(file); // as the CLI's inspect, without --stats
    if (info.damaged.length) throw new Error(`${file}: reported damaged: ${info.damaged.join('; ')}`);
    tensors = info.tensors.length;
  } else if (kind === 'header-only') {
    const h = await fs.open(file, 'r');
    const len = Buffer.alloc(8);
    await h.read(len, 0, 8, 0);
    const header = Buffer.alloc(Number(len.readBigUInt64LE(0)));
    await h.read(header, 0, header.length, 8);
    await h.close();
    tensors = Object.keys(JSON.parse(header.toString('utf8'))).length - 1;
  } else if (kind === 'decode-whole') {
    tensors = decodeModel(await fs.readFile(file)).graph.initializer.length;
  } else if (kind === 'read-through') {
    const h = await fs.open(file, 'r');
    const buf = Buffer.alloc(1 << 20);
    for (let pos = 0; ; pos += buf.length) if ((await h.read(buf, 0, buf.length, pos)).bytesRead === 0) break;
    await h.close();
  }
  const ms = performance.now() - t0;
  return { ms, maxRssMb: process.resourceUsage().maxRSS / 1024, tensors };
}

function inChild(kind: string, file: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', kind, file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => resolve(m as Measure));
    child.once('exit', (code) => code && reject(new Error(`${kind} child exited with ${code}`)));
  });
}

function report(title: string, ours: Measure, peer: Measure, peerName: string, idle: Measure): void {
  const fmt = (m: Measure) => `${m.ms.toFixed(0).padStart(6)} ms  ${m.maxRssMb.toFixed(0).padStart(5)} MB peak RSS`;
  console.log(`\n${title}`);
  console.log(`  ours (inspectModel)${fmt(ours)}  ${ours.tensors} tensors`);
  console.log(`  peer: ${peerName.padEnd(12)}${fmt(peer)}`);
  console.log(`  ratio ours/peer: time ${(ours.ms / peer.ms).toFixed(2)}×, RSS ${(ours.maxRssMb / peer.maxRssMb).toFixed(2)}×; RSS over an idle child: +${(ours.maxRssMb - idle.maxRssMb).toFixed(0)} MB`);
  console.log(`  goals: time < 1 s: ${ours.ms.toFixed(0)} ms → ${ours.ms < 1000 ? 'met' : 'MISSED'}; peak RSS < 100 MB: ${ours.maxRssMb.toFixed(0)} MB → ${ours.maxRssMb < 100 ? 'met' : 'MISSED'}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-bench-inspect-'));
  try {
    const st = path.join(dir, 'big.safetensors');
    const ext = path.join(dir, 'big-external.onnx');
    const inline = path.join(dir, 'big-inline.onnx');
    await makeSafetensors(st, 4 * GB);
    await makeExternalOnnx(ext, 2 * GB);
    await makeInlineOnnx(inline, 1.9 * GB);
    const idle = await inChild('idle', st);
    console.log(`idle child (same modules loaded): ${idle.maxRssMb.toFixed(0)} MB peak RSS`);
    report('4 GB safetensors (1024 tensors)', await inChild('ours', st), await inChild('header-only', st), 'header+JSON', idle);
    report('2 GB ONNX, external data (512 initializers)', await inChild('ours', ext), await inChild('decode-whole', ext), 'decodeModel', idle);
    report('1.9 GB ONNX, inline raw_data (486 initializers)', await inChild('ours', inline), await inChild('read-through', inline), 'read file', idle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  measure(process.argv[3], process.argv[4]).then((m) => { process.send!(m); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
} else {
  main().catch((e) => { console.error(e); process.exit(1); });
}
