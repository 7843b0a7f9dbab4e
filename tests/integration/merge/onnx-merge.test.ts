// An ONNX output keeps the first model's graph and runs in onnxruntime: the mean of three exported
// SmallCNNs gives the same logits on real MNIST digits as numpy's mean of their initializers
// (tests/fixtures/merge/mean_onnx_ref.onnx, made by scripts/fixtures/make_merge_fixtures.py).
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import { openModel } from '../../../main/engine/formats/registry';
import { silentContext } from '../../../main/engine/job-context';
import { METADATA_KEYS, runMerge } from '../../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { tempDir } from '../../unit/merge/model-files';

const FIX = path.resolve(__dirname, '../../fixtures/merge');
const N = 64;

async function logits(model: string, x: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  const out = await session.run({ x: new ort.Tensor('float32', x, [N, 1, 28, 28]) });
  await session.release();
  return out.logits.data as Float32Array;
}

describe('merging ONNX models', () => {
  it('the merged .onnx runs in onnxruntime and matches the reference mean on MNIST digits, recipe inside', async () => {
    const out = path.join(tempDir('onnx'), 'mean.onnx');
    const recipe = await resolveRecipe(parseRecipe(`method: mean\nmodels: [cnn_0.onnx, cnn_1.onnx, cnn_2.onnx]\noutput: {path: ${out}}\n`), FIX);
    await runMerge(recipe, silentContext());

    const digits = await loadDataset('mnist:test');
    const x = digits.inputs.slice(0, N * 784);
    const [got, want, first] = await Promise.all([logits(out, x), logits(path.join(FIX, 'mean_onnx_ref.onnx'), x), logits(path.join(FIX, 'cnn_0.onnx'), x)]);
    let worst = 0;
    let differsFromFirst = 0;
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      differsFromFirst = Math.max(differsFromFirst, Math.abs(got[i] - first[i]));
    }
    expect(worst).toBeLessThan(1e-4);
    expect(differsFromFirst).toBeGreaterThan(1e-2); // the weights really changed

    const merged = await openModel(out);
    expect(merged.graph?.nodes.map((n) => n.opType)).toEqual((await openModel(path.join(FIX, 'cnn_0.onnx'))).graph?.nodes.map((n) => n.opType));
    expect(parseRecipe(merged.metadata[METADATA_KEYS.recipe]).models).toEqual([{ path: 'cnn_0.onnx' }, { path: 'cnn_1.onnx' }, { path: 'cnn_2.onnx' }]);
    await merged.close();
  });
});
