// The doctor's interference heatmap, rendered as the app renders it (Vega-Lite → Vega → SVG): a cell per
// layer and metric, labelled with its value.
import { describe, expect, it } from 'vitest';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { interferenceHeatmapSpec, interferencePoints } from '../../../main/engine/charts/doctor';

describe('interference heatmap', () => {
  it('draws one cell per layer and metric, with its value', async () => {
    const layers = [{ name: 'features.0', sign_conflict: 0.125, cosine: 0.5 }, { name: 'features.3', sign_conflict: 0.61, cosine: -0.25 }, { name: 'classifier.1', sign_conflict: 0.3, cosine: 0.05 }];
    const view = new vega.View(vega.parse(compile(interferenceHeatmapSpec() as never).spec), { renderer: 'none' });
    view.insert('points', interferencePoints(layers));
    await view.runAsync();
    const svg = await view.toSVG();
    view.finalize();
    const cells = [...svg.matchAll(/<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].map((m) => (m[1].match(/<path/g) ?? []).length);
    expect(cells).toEqual([3, 3]);
    for (const label of ['features.3', 'classifier.1', '61%', '13%', '0.05']) expect(svg).toContain(label);
    expect(svg).toMatch(/[-−]0\.25/); // d3-format writes a true minus sign
  });
});
