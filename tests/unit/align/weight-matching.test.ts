// Weight matching against the reference (scripts/fixtures/make_align_fixtures.py: Git Re-Basin's algorithm with
// numpy + scipy's linear_sum_assignment on PyTorch state dicts): fed the reference's group orders we find its
// permutations and objective; with our own seeded order we converge to the same optimum.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { derivePermutationSpec, permuteState, weightMatching } from '../../../main/engine/align';
import { silentContext, type ProgressUpdate } from '../../../main/engine/job-context';
import { loadNet } from '../../../main/engine/models';

const DIR = path.join(__dirname, '../../fixtures/align');
interface Ref { orders: string[][]; perms: Record<string, number[]>; truth: Record<string, number[]>; objective: { before: number; after: number } }
const reference = JSON.parse(readFileSync(path.join(DIR, 'reference.json'), 'utf8')) as Record<string, Ref>;

function objective(a: Map<string, { data: Float32Array | BigInt64Array }>, b: Map<string, { data: Float32Array | BigInt64Array }>, names: Set<string>): number {
  let s = 0;
  for (const n of names) { const x = a.get(n)!.data as Float32Array, y = b.get(n)!.data as Float32Array; for (let i = 0; i < x.length; i++) s += x[i] * y[i]; }
  return s;
}

describe.each(['mlp', 'vgg'])('weight matching of the %s fixture', (name) => {
  it('gives the reference\'s permutations and objective, in its group order and in ours', async () => {
    const ref = reference[name];
    const a = await loadNet(path.join(DIR, `${name}_a.safetensors`)), b = await loadNet(path.join(DIR, `${name}_b.safetensors`));
    const spec = await derivePermutationSpec(a);
    expect(spec.groups.map((g) => g.name).sort()).toEqual(Object.keys(ref.perms).sort());
    const fed = await weightMatching(spec, a.state, b.state, { order: (it) => ref.orders[it] });
    expect(fed.iterations).toBe(ref.orders.length);
    for (const g of spec.groups) expect([...fed.perms[g.name]]).toEqual(ref.perms[g.name]);
    const names = new Set(a.graph.tensors.filter((t) => t.dtype === 'f32').map((t) => t.name)); // the reference sums every float tensor
    expect(objective(a.state, b.state, names)).toBeCloseTo(ref.objective.before, 3);
    expect(objective(a.state, permuteState(b.state, spec, fed.perms), names)).toBeCloseTo(ref.objective.after, 3);

    const seen: ProgressUpdate[] = [];
    const ours = await weightMatching(spec, a.state, b.state, { seed: 3 }, { ...silentContext(), progress: (u) => seen.push(u) });
    // converged in a few rounds of the 100 allowed: the count still ends full, and says why
    expect(seen.slice(0, -1).map((u) => u.done)).toEqual(Array.from({ length: ours.iterations - 1 }, (_, i) => i + 1));
    expect(seen.at(-1)).toMatchObject({ done: 100, total: 100, message: `weight matching: converged after ${ours.iterations} rounds` });
    for (const g of spec.groups) expect([...ours.perms[g.name]]).toEqual(ref.truth[g.name]);
    expect(ours.distance.after).toBeLessThan(ours.distance.before);
    expect(ours.groups.every((g) => g.similarityAfter >= g.similarityBefore)).toBe(true);
    expect(ours.groups.reduce((k, g) => k + g.moved, 0)).toBeGreaterThan(0);
  });
});
