// The search's grid builder (pure): how a budget is split over methods and listed values, and how many distinct
// values each numeric range gets; then the checks a search is refused for before its first try.
import { describe, expect, it } from 'vitest';
import { failureReason, searchProblems, appliesTo } from '../../../main/engine/compare/search-checks';
import { gridPoints, latticeLevels, randomPoints, splitBudget, type Applies, type SearchValues } from '../../../main/engine/compare/search-grid';
import { MergeBlockedError } from '../../../main/engine/merge/executor';
import { tempDir } from '../train/helpers';

const everything: Applies = () => true;
const distinct = (points: SearchValues[], key: string) => new Set(points.filter((p) => p[key] !== undefined).map((p) => p[key])).size;
const of = (points: SearchValues[], method: string) => points.filter((p) => p.method === method);

describe('splitting a budget', () => {
  it('evenly, the remainder to the first, a full cell\'s rest to the others, few tries spread out', () => {
    expect(splitBudget(11, [Infinity, Infinity])).toEqual([6, 5]);
    expect(splitBudget(11, [1, Infinity, Infinity])).toEqual([1, 5, 5]);
    expect(splitBudget(3, [2, 2])).toEqual([2, 1]);
    expect(splitBudget(2, [Infinity, Infinity, Infinity, Infinity, Infinity])).toEqual([1, 0, 0, 0, 1]);
    expect(splitBudget(10, [1, 1])).toEqual([1, 1]);
    expect(splitBudget(0, [Infinity])).toEqual([0]);
  });
});

describe('the lattice over numeric ranges', () => {
  it('each of d dimensions takes every level once, and the points are not a diagonal', () => {
    for (const [n, d] of [[11, 2], [12, 2], [9, 3], [25, 4], [4, 2]]) {
      const rows = latticeLevels(n, d);
      expect(rows).toHaveLength(n);
      for (let j = 0; j < d; j++) expect(new Set(rows.map((r) => r[j])).size).toBe(n);
      if (n > 4) expect(rows.some((r) => r[1] !== r[0])).toBe(true);
    }
    // two ranges at 11 tries: no two points closer than two levels apart in both directions
    const rows = latticeLevels(11, 2);
    for (const a of rows) for (const b of rows) if (a !== b) expect((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2).toBeGreaterThanOrEqual(5);
  });
});

describe('grid points', () => {
  it('one method, one range: as many distinct values as the budget, evenly spaced, ends included', () => {
    const p = gridPoints([{ name: 'parameters.lambda', min: 0, max: 2 }], 11, everything);
    expect(p.map((x) => x['parameters.lambda'])).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8, 2]);
    expect(gridPoints([{ name: 'alpha', min: 0, max: 1 }], 1, everything)).toEqual([{ alpha: 0.5 }]);
  });

  it('two ranges: every try used, each range with budget-many distinct values', () => {
    const p = gridPoints([{ name: 'parameters.lambda', min: 0, max: 2 }, { name: 'parameters.density', min: 0.1, max: 0.9 }], 11, everything);
    expect(p).toHaveLength(11);
    expect(distinct(p, 'parameters.lambda')).toBe(11);
    expect(distinct(p, 'parameters.density')).toBe(11);
    expect(new Set(p.map((x) => JSON.stringify(x))).size).toBe(11);
  });

  it('several methods split the budget; each method\'s range gets its share of distinct values (not only the ends)', () => {
    const methods = ['weighted', 'slerp', 'task_arithmetic', 'ties', 'dare_linear'];
    const p = gridPoints([{ name: 'method', values: methods }, { name: 'alpha', min: 0, max: 1 }], 11, everything);
    expect(p).toHaveLength(11);
    expect(methods.map((m) => of(p, m).length)).toEqual([3, 2, 2, 2, 2]);
    expect(of(p, 'weighted').map((x) => x.alpha)).toEqual([0, 0.5, 1]);
    expect(distinct(p, 'alpha')).toBe(3);
    // methods outermost, in the order given
    expect([...new Set(p.map((x) => x.method))]).toEqual(methods);
  });

  it('a dimension a method does not have is not spent on it: its share goes to the others', () => {
    // SLERP has t (alpha) but no density; mean has neither, so one try is enough for it
    const applies: Applies = (m, d) => (m === 'mean' ? false : m === 'slerp' ? d === 'alpha' : true);
    const p = gridPoints([{ name: 'method', values: ['mean', 'slerp', 'ties'] }, { name: 'alpha', min: 0, max: 1 }, { name: 'parameters.density', min: 0.2, max: 0.8 }], 11, applies);
    expect(of(p, 'mean')).toEqual([{ method: 'mean' }]);
    expect(of(p, 'slerp')).toHaveLength(5);
    expect(of(p, 'slerp').every((x) => x['parameters.density'] === undefined)).toBe(true);
    expect(distinct(of(p, 'slerp'), 'alpha')).toBe(5);
    expect(of(p, 'ties')).toHaveLength(5);
    expect(distinct(of(p, 'ties'), 'parameters.density')).toBe(5);
  });

  it('listed values are combined; the ranges fill each combination\'s share; a budget smaller than the combinations is spread', () => {
    const p = gridPoints([{ name: 'parameters.rescale', values: ['l1', 'none'] }, { name: 'parameters.lambda', min: 0, max: 1 }], 7, everything);
    expect(p.filter((x) => x['parameters.rescale'] === 'l1').map((x) => x['parameters.lambda'])).toEqual([0, 0.3333, 0.6667, 1]);
    expect(p.filter((x) => x['parameters.rescale'] === 'none').map((x) => x['parameters.lambda'])).toEqual([0, 0.5, 1]);
    const listed = gridPoints([{ name: 'parameters.density', values: [0.1, 0.2, 0.3, 0.4, 0.5] }], 3, everything);
    expect(listed.map((x) => x['parameters.density'])).toEqual([0.1, 0.3, 0.5]);
    expect(gridPoints([{ name: 'parameters.density', values: [0.1, 0.2] }], 9, everything)).toHaveLength(2);
    expect(gridPoints([{ name: 'alpha', min: 0.3, max: 0.3 }], 5, everything)).toEqual([{ alpha: 0.3 }]);
  });
});

describe('random points', () => {
  it('seeded, within the ranges, leaving out what the drawn method ignores', () => {
    const dims = [{ name: 'method', values: ['slerp', 'ties'] }, { name: 'parameters.density', min: 0.2, max: 0.4 }];
    const applies: Applies = (m, d) => m !== 'slerp' || d !== 'parameters.density';
    const r = randomPoints(dims, 20, 7, applies);
    expect(r).toEqual(randomPoints(dims, 20, 7, applies));
    expect(r).not.toEqual(randomPoints(dims, 20, 8, applies));
    expect(of(r, 'slerp').length).toBeGreaterThan(0);
    expect(of(r, 'slerp').every((x) => !('parameters.density' in x))).toBe(true);
    expect(of(r, 'ties').every((x) => (x['parameters.density'] as number) >= 0.2 && (x['parameters.density'] as number) <= 0.4)).toBe(true);
  });
});

describe('what a search is refused for up front', () => {
  const dir = tempDir('search-checks');
  const recipe = (o: Record<string, unknown> = {}) => ({ method: 'ties', models: [{ path: 'a' }, { path: 'b' }, { path: 'c' }], output: { path: `${dir}/best.safetensors` }, ...o });

  it('a method that needs a base, without one, says so plainly; with one nothing blocks', () => {
    const lambda = [{ name: 'parameters.lambda', min: 0, max: 2 }];
    expect(searchProblems(lambda, recipe())).toEqual([expect.stringMatching(/^TIES needs a base model: choose one in the Base model field/)]);
    expect(searchProblems(lambda, recipe({ base: 'base' }))).toEqual([]);
    const both = searchProblems([{ name: 'method', values: ['weighted', 'task_arithmetic'] }, ...lambda], recipe());
    expect(both).toEqual([expect.stringMatching(/^Task arithmetic needs a base model/)]);
  });

  it('α with three models, a parameter no method has, too many models, a missing output folder', () => {
    expect(searchProblems([{ name: 'alpha', min: 0, max: 1 }], recipe({ base: 'base' }))[0]).toMatch(/alpha interpolates between two models; this recipe lists 3/);
    expect(searchProblems([{ name: 'parameters.density', min: 0, max: 1 }], recipe({ method: 'weighted' }))[0]).toMatch(/parameters\.density changes nothing for Weighted/);
    expect(searchProblems([{ name: 'parameters.t', min: 0, max: 1 }], recipe({ method: 'slerp' }))[0]).toMatch(/SLERP takes at most 2 models; the recipe has 3/);
    expect(searchProblems([{ name: 'parameters.lambda', min: 0, max: 2 }], recipe({ base: 'base', output: { path: `${dir}/missing/best.safetensors` } }))[0]).toMatch(/the output folder .*missing does not exist/);
  });

  it('which dimension changes which method', () => {
    const a = appliesTo('weighted');
    expect([a(undefined, 'alpha'), a('slerp', 'alpha'), a('mean', 'alpha'), a('slerp', 'parameters.density'), a('ties', 'parameters.density'), a('mean', 'weights.0')]).toEqual([true, true, false, false, true, false]);
  });
});

describe('a failed try\'s reason', () => {
  it('holds every blocking line, not the header alone', () => {
    expect(failureReason(new MergeBlockedError(['TIES needs a base', 'the output folder /x does not exist']))).toBe('the merge cannot run: TIES needs a base; the output folder /x does not exist');
    expect(failureReason(new Error('the recipe is not valid:\n- models[0].weight: expected a number\n- method: unknown'))).toBe('the recipe is not valid: models[0].weight: expected a number; method: unknown');
    expect(failureReason(new Error('one line'))).toBe('one line');
  });
});
