// `merge-studio eval MODEL.onnx --dataset mnist:test [--json]`: accuracy, loss and per-class accuracy.
import { loadDataset } from '../engine/data';
import { evaluateModel } from '../engine/evaluate';
import { CliError, type CliCommand } from './common';
import { isCancelled, terminalJob } from './progress';

export const evalCommand: CliCommand = {
  name: 'eval',
  usage: 'eval MODEL --dataset SPEC [--json]',
  summary: 'accuracy and loss of an ONNX model on a dataset (e.g. mnist:test)',
  options: { dataset: { type: 'string' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals) {
    if (positionals.length !== 1) throw new CliError('give exactly one model');
    const spec = (values.dataset as string | undefined) ?? 'mnist:test';
    const batchSize = values['batch-size'] === undefined ? 256 : Number(values['batch-size']);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new CliError(`--batch-size must be a positive integer`);
    const job = terminalJob('evaluating', values.json === true);
    try {
      const dataset = await loadDataset(spec, job.ctx);
      const r = await evaluateModel(positionals[0], dataset, { batchSize }, job.ctx);
      if (values.json) {
        console.log(JSON.stringify({ accuracy: r.accuracy, loss: r.loss, n: r.n, per_class: r.per_class }, null, 2));
      } else {
        console.log(`${spec}: accuracy ${(100 * r.accuracy).toFixed(2)} %, loss ${r.loss.toFixed(4)} on ${r.n} examples`);
        for (const c of r.per_class) console.log(`  class ${c.name.padEnd(6)} ${(100 * c.accuracy).toFixed(1).padStart(5)} % of ${c.n}`);
      }
      return 0;
    } catch (err) {
      if (isCancelled(err)) throw new CliError('cancelled', 130);
      throw err;
    } finally {
      job.done();
    }
  },
};
