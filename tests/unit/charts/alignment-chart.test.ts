// The Align screen's interpolation chart: accuracy in percent on the axis as in the points, alignments in words.
import { describe, expect, it } from 'vitest';
import { curvePoints, interpolationCurveSpec } from '../../../main/engine/charts/alignment';

describe('interpolation curve chart', () => {
  const result = { alphas: [0, 0.5, 1], curves: { none: { accuracy: [0.9, 0.25, 0.875] }, weight: { accuracy: [0.9, 0.8, 0.875] } } };

  it('gives accuracy in percent, one point per α and alignment', () => {
    const points = curvePoints(result);
    expect(points).toHaveLength(6);
    expect(points.find((p) => p.alignment === 'none' && p.alpha === 0.5)?.value).toBeCloseTo(25, 10);
    expect(points.find((p) => p.alignment === 'weight' && p.alpha === 1)?.value).toBeCloseTo(87.5, 10);
  });

  it('names each alignment as asked, keeping unnamed ones as they are', () => {
    const names = new Set(curvePoints(result, { none: 'naive' }).map((p) => p.alignment));
    expect([...names].sort()).toEqual(['naive', 'weight']);
  });

  it('labels the accuracy axis in percent', () => {
    const spec = interpolationCurveSpec('t') as { encoding: { y: { title: string } } };
    expect(spec.encoding.y.title).toBe('test accuracy (%)');
  });
});
