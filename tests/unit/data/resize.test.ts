import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../../main/engine/data/image/bilinear';

// Made by scripts/fixtures/make-resize-fixture.py with PyTorch's F.interpolate(bilinear, align_corners=False).
const fx = JSON.parse(readFileSync(join(process.cwd(), 'tests', 'fixtures', 'data', 'resize-torch.json'), 'utf8')) as {
  shape: [number, number, number]; input: number[]; cases: { size: [number, number]; output: number[] }[];
};

describe('bilinear resize', () => {
  it.each(fx.cases.map((c) => [c.size.join('x'), c] as const))('matches PyTorch for %s', (_name, c) => {
    const [ch, h, w] = fx.shape;
    const out = resizeBilinear(Float32Array.from(fx.input), ch, h, w, c.size[0], c.size[1]);
    expect(out.length).toBe(c.output.length);
    out.forEach((v, i) => expect(v).toBeCloseTo(c.output[i], 5));
  });
});
