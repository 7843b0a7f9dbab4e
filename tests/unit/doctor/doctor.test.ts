// The merge doctor on small MLPs trained here on MNIST: fine-tunes of one model and an independent one
// (lineage, alignment, interference per layer, the probe of the midpoints, the verdict), fine-tunes of one
// task, checkpoints of one run, and the CLI's JSON and the run it records.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { doctorCommand } from '../../../main/cli/doctor';
import { runDoctor } from '../../../main/engine/doctor/doctor';
import { HIGH_CONFLICT, layerRanges } from '../../../main/engine/doctor/verdict';
import { silentContext } from '../../../main/engine/job-context';
import { trainMlp } from '../compare/helpers';
import { runRecord, runsListed, sha256Of } from '../cli/runs-listed';
import { tempDir } from '../train/helpers';

let dir: string;
const f = (n: string) => path.join(dir, `${n}.safetensors`);
let chain: string[];

beforeAll(async () => {
  dir = tempDir('doctor');
  const keep = async (name: string, r: Promise<{ checkpoints: string[] }>) => copyFileSync((await r).checkpoints.at(-1)!, f(name));
  await keep('a', trainMlp(1));
  // Fine-tunes of a on disjoint halves of the digits (they pull against each other in the head), two of a on
  // all digits (they move together), and d: another init.
  await keep('b', trainMlp(2, { initFrom: f('a'), dataset: 'mnist:fit?task=subset:0-4' }));
  await keep('c', trainMlp(3, { initFrom: f('a'), dataset: 'mnist:fit?task=subset:5-9' }));
  await keep('b2', trainMlp(5, { initFrom: f('a') }));
  await keep('c2', trainMlp(6, { initFrom: f('a') }));
  await keep('d', trainMlp(4));
  chain = (await trainMlp(7, { epochs: 3, keepFrom: 1 })).checkpoints;
}, 300_000);

describe('merge doctor', () => {
  it('names the base of fine-tunes, the independent model that needs alignment, the layers in conflict, and probes the midpoints', async () => {
    const r = await runDoctor({ models: [f('a'), f('b'), f('c'), f('d')], dataset: 'mnist:test', samples: 300 }, silentContext());
    expect(r.compatibility).toMatchObject({ ok: true, method: 'mean', blocking: [] });
    const l = r.lineage!;
    expect(l).toMatchObject({ base: 'a.safetensors', base_given: false, shared_init: [['a.safetensors', 'b.safetensors', 'c.safetensors']], needs_alignment: ['d.safetensors'] });
    for (const p of l.pairs) expect(p.shared_init, `${p.a} ~ ${p.b}`).toBe(p.a !== 'd.safetensors' && p.b !== 'd.safetensors');
    expect(r.layers.map((x) => x.name)).toEqual(['layers.0', 'layers.2']);
    const head = r.layers[1];
    expect(head.sign_conflict).toBeGreaterThanOrEqual(HIGH_CONFLICT); // halves of the digits: their heads pull apart
    expect(head.cosine).toBeLessThan(0);
    expect(r.verdict).toContain('b.safetensors and c.safetensors are fine-tunes of a.safetensors');
    expect(r.verdict).toContain('independent model d.safetensors needs alignment first');
    expect(r.verdict).toMatch(/conflicts high in [^;]*layers\.2[^;]*: TIES or DARE suggested/);
    expect(r.verdict).toMatch(/est\. peak \d+(\.\d)? MB of [\d.]+ [GMT]B free, ~\d+ s$/);
    // alignment recommended: the aligned midpoint of the four beats the naive one
    const p = r.probe!;
    expect(p.error).toBeUndefined();
    expect(p.models.map((m) => m.name)).toEqual(['a.safetensors', 'b.safetensors', 'c.safetensors', 'd.safetensors']);
    expect(p.aligned!.accuracy).toBeGreaterThan(p.naive!.accuracy);
    expect(r.memory.peak_bytes).toBeGreaterThan(0);
    expect(r.memory.fits).toBe(r.memory.peak_bytes < r.memory.free_bytes);
  });

  it('fine-tunes of one task with their base given: task vectors agree, no alignment', async () => {
    const r = await runDoctor({ models: [f('b2'), f('c2')], base: f('a') }, silentContext());
    expect(r.compatibility.method).toBe('ties');
    expect(r.lineage).toMatchObject({ base: 'a.safetensors', base_given: true, needs_alignment: [] });
    expect(r.lineage!.task_vectors[0].cosine).toBeGreaterThan(0.2);
    for (const x of r.layers) expect(x.sign_conflict, x.name).toBeLessThan(HIGH_CONFLICT);
    expect(r.verdict).toMatch(/^b2\.safetensors and c2\.safetensors are fine-tunes of a\.safetensors; no alignment needed; task vectors agree/);
  });

  it('does not guess a base the weights cannot tell, nor one among checkpoints of one run', async () => {
    const same = await runDoctor({ models: [f('a'), f('b2'), f('c2')] }, silentContext());
    expect(same.lineage!.base).toBeNull();
    expect(same.lineage!.notes.join(' ')).toMatch(/cannot be told from the weights alone/);
    expect(same.layers).toEqual([]);
    const run = await runDoctor({ models: chain }, silentContext());
    expect(run.lineage).toMatchObject({ base: null, shared_init: [chain.map((c) => path.basename(c))], needs_alignment: [] });
    expect(run.verdict).toMatch(/checkpoints of one run: no base/);
  });

  it('independent inits share nothing: the second needs alignment', async () => {
    const r = await runDoctor({ models: [f('a'), f('d')] }, silentContext());
    expect(r.lineage).toMatchObject({ base: null, shared_init: [], needs_alignment: ['d.safetensors'] });
    expect(Math.abs(r.lineage!.pairs[0].weight_cosine)).toBeLessThan(0.1);
  });

  it('doctor --json gives memory, lineage, layers and verdict, and records the check as a run', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((m: string) => { lines.push(m); });
    const workspace = tempDir('doctor-ws');
    let code: number;
    try {
      code = await doctorCommand.run({ json: true, base: f('a'), dataset: 'mnist:test', samples: '100', 'workspace-dir': workspace }, [f('b'), f('c'), f('d')]);
    } finally { spy.mockRestore(); }
    expect(code).toBe(0);
    const j = JSON.parse(lines.join('\n'));
    expect(j.memory.peak_bytes).toBeGreaterThan(100e6);
    expect(j.lineage).toMatchObject({ base: 'a.safetensors', needs_alignment: ['d.safetensors'], shared_init: [['b.safetensors', 'c.safetensors', 'a.safetensors']] });
    expect(j.layers[0]).toEqual({ name: 'layers.0', sign_conflict: expect.any(Number), cosine: expect.any(Number), parameters: 784 * 32 + 32 });
    expect(j.verdict).toContain('independent model d.safetensors needs alignment first');
    // the run: listed by `runs --json`, the models and the base by SHA-256, the probe's data named
    const [listed, ...others] = await runsListed(workspace);
    expect(others).toEqual([]);
    expect(listed).toMatchObject({ kind: 'doctor', label: 'doctor · b, c, d on mnist:test', status: 'succeeded', dir: j.runDir });
    expect(runRecord(listed.dir)).toMatchObject({
      ok: true, verdict: j.verdict, probe: 'mnist:test',
      inputs: ['b', 'c', 'd', 'a'].map((n) => ({ path: f(n), sha256: sha256Of(f(n)) })),
      outputs: [path.join(listed.dir, 'doctor.json')],
    });
  });

  it('folds runs of layer numbers in the verdict', () => {
    expect(layerRanges(['features.3', 'features.4', 'features.5', 'classifier.1'])).toBe('features.3–5, classifier.1');
  });
});
