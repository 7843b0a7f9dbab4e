// The Train screen's accuracy chart, rendered as the app renders it (Vega-Lite → Vega → SVG): the test
// accuracy of the first epoch, a single value, has a visible mark, as its legend entry promises.
import { describe, expect, it } from 'vitest';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { trainingCurveSpec, type TrainingPoint } from '../../../main/engine/charts/training';

async function svgOf(points: TrainingPoint[]): Promise<string> {
  const spec = { ...trainingCurveSpec('Accuracy', 'accuracy'), width: 400 };
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'none' });
  view.insert('points', points);
  await view.runAsync();
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const train = (n: number): TrainingPoint[] => Array.from({ length: n }, (_, i) => ({ step: i + 1, value: 0.5 + i / 100, run: 'A', series: 'train accuracy' }));

describe('training chart', () => {
  it('draws one test-accuracy point after the first epoch, beside the train accuracy line', async () => {
    const svg = await svgOf([...train(20), { step: 20, value: 0.875, run: 'A', series: 'test accuracy' }]);
    expect(svg).toContain('test accuracy');
    // the point layer's group holds exactly one symbol: the single test value
    const pointGroup = /<g class="mark-symbol role-mark layer_1[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg);
    expect(pointGroup, 'a symbol mark for the per-epoch series').not.toBeNull();
    expect((pointGroup![1].match(/<path/g) ?? []).length).toBe(1);
  });

  it('with no test accuracy yet, draws no point', async () => {
    expect(await svgOf(train(10))).not.toMatch(/<g class="mark-symbol role-mark[^"]*"[^>]*><path/);
  });

  it('joins the test accuracy of several epochs with a line through its points, and keeps it off the per-step line', async () => {
    const svg = await svgOf([...train(30), ...[10, 20, 30].map((step, i) => ({ step, value: 0.8 + i / 20, run: 'A', series: 'test accuracy' }))]);
    const pointGroup = /<g class="mark-symbol role-mark layer_1[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(svg)!;
    expect((pointGroup[1].match(/<path/g) ?? []).length).toBe(3);
  });
});
