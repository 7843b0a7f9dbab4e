// Git Re-Basin on seed 002's SmallCNN (padded convs, 64·14·14 → 256): two models from different seeds on
// mnist:train; weight matching (the last conv's channels reach the first Linear as blocks of 14×14 inputs) makes
// the midpoint as good as the endpoints' mean, where the naive midpoint is clearly worse.
import { beforeAll, describe, expect, it } from 'vitest';
import { alignedCurves } from '../../../main/engine/align';
import { loadDataset } from '../../../main/engine/data';
import { loadNet } from '../../../main/engine/models';
import { pct, trainPairOfSeeds } from './helpers';

let files: string[];
beforeAll(async () => {
  files = await trainPairOfSeeds('smallcnn', { arch: 'smallcnn', epochs: 2, batchSize: 128, optimizer: 'sgd', lr: 0.05, momentum: 0.9, threads: 2 });
}, 1_800_000);

describe('Git Re-Basin on two SmallCNNs', () => {
  it('the weight-matched midpoint is within 2 points of the endpoints\' mean; the naive one is clearly worse', async () => {
    const [a, b] = [await loadNet(files[0]), await loadNet(files[1])];
    const test = await loadDataset('mnist:test');
    const c = await alignedCurves(a, b, test, { aligns: ['none', 'weight'], alphas: [0, 0.5, 1], threads: 2 });
    const [none, weight] = [c.curves.none.accuracy, c.curves.weight.accuracy];
    const mean = (none[0] + none[2]) / 2;
    console.log(`SmallCNN: endpoints ${pct(none[0])} and ${pct(none[2])}; midpoint naive ${pct(none[1])}, weight-matched ${pct(weight[1])}; loss barriers ${JSON.stringify(c.barriers)}; ${c.alignment.weight.iterations} rounds`);
    expect(Math.min(none[0], none[2])).toBeGreaterThan(0.9);
    expect(Math.abs(weight[1] - mean)).toBeLessThanOrEqual(0.02);
    expect(none[1]).toBeLessThan(mean - 0.05);
    expect(c.barriers.weight).toBeLessThan(c.barriers.none / 2);
  }, 900_000);
});
