// `eval --ensemble … --combine logits|probs`: the CLI reports the combination it was asked for, scored as the
// engine scores it, and refuses anything else.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../main/engine/data';
import { evaluateEnsemble } from '../../main/engine/evaluate';
import { trainMlp } from '../unit/compare/helpers';

const ROOT = path.resolve(__dirname, '../..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let a: string, b: string;
beforeAll(async () => {
  a = (await trainMlp(51, { hidden: [16] })).model;
  b = (await trainMlp(52, { hidden: [32] })).model;
}, 300_000);

describe('CLI: eval --ensemble --combine', () => {
  it('scores the mean of logits or of probabilities as asked', async () => {
    const test = await loadDataset('mnist:test');
    for (const combine of ['logits', 'probs'] as const) {
      const r = cli('eval', '--ensemble', `${a},${b}`, '--combine', combine, '--json');
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      const ref = await evaluateEnsemble([a, b], test, { combine });
      expect(j.ensemble).toMatchObject({ combine: combine === 'logits' ? 'mean of logits' : 'mean of probabilities', accuracy: ref.ensemble.accuracy });
      expect(j.ensemble.loss).toBeCloseTo(ref.ensemble.loss, 6);
    }
    expect(cli('eval', '--ensemble', `${a},${b}`, '--combine', 'logits').out).toMatch(/ensemble \(mean of logits\): accuracy \d+\.\d\d %[^]*note: The ensemble of logits/);
    expect(cli('eval', '--ensemble', `${a},${b}`, '--combine', 'votes')).toMatchObject({ code: 2 });
    expect(cli('eval', '--ensemble', `${a},${b}`, '--combine', 'votes').err).toMatch(/--combine must be one of probs, logits, got "votes"/);
    expect(cli('eval', a, '--combine', 'logits').err).toMatch(/--combine goes with --ensemble/);
  }, 300_000);
});
