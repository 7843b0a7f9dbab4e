// The Compare screen's chart specs compile and draw what they say, rendered to SVG in Node as reports do.
import { describe, expect, it } from 'vitest';
import { mergeGridSpec, searchSpec, withPoints, interpolationSpec } from '../../../main/engine/charts/compare';
import { chartSvg } from '../../../main/engine/charts/svg';

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

describe('chart specs', () => {
  it('search: one point per try and the best so far as a step line', async () => {
    const points = [0.9, 0.95, 0.93, 0.97].map((accuracy, i) => ({ trial: i + 1, accuracy, label: `alpha ${i / 3}` }));
    const svg = await chartSvg(withPoints(searchSpec(), points));
    expect(svg).toContain('held-out accuracy (%)');
    expect(count(svg, /aria-roledescription="point"/g)).toBe(4);
    expect(count(svg, /aria-roledescription="line mark"/g)).toBe(1);
  });

  it('grid: one cell per merge, labelled with its accuracy', async () => {
    const cells = ['0.25', '0.5', '0.75'].flatMap((x, i) => ['weighted', 'slerp'].map((y, j) => ({ x, y, accuracy: 0.9 + i / 100 + j / 1000, label: `${y} ${x}`, id: `m${i}${j}` })));
    const svg = await chartSvg(mergeGridSpec(cells, 'alpha', 'method'));
    const rects = svg.slice(svg.indexOf('class="mark-rect'), svg.indexOf('</g>', svg.indexOf('class="mark-rect')));
    expect(count(rects, /<path/g)).toBe(6);
    expect(svg).toContain('91.0');
    expect(svg).toContain('slerp');
  });

  it('curves: a line per kind in each panel, the barrier labelled', async () => {
    const curve = (name: string, bump: number) => ({ name, alphas: [0, 0.5, 1], accuracy: [0.9, 0.9 - bump, 0.91], loss: [0.3, 0.3 + bump, 0.28], barrier: { loss: bump + 0.01, alpha: 0.5, accuracy: bump } });
    const svg = await chartSvg(interpolationSpec([curve('naive', 0.5), curve('weight-matched', 0.05)], { a: 'A', b: 'B' }));
    expect(svg).toContain('barrier 0.510');
    expect(svg).toContain('weight-matched');
    expect(count(svg, /aria-roledescription="line mark"/g)).toBe(4);
  });
});
