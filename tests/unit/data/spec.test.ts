import { describe, expect, it } from 'vitest';
import { formatSpec, loadDataset, parseSpec } from '../../../main/engine/data';

describe('dataset specs', () => {
  it('parses kind, argument, options and tasks in order', () => {
    expect(parseSpec('mnist:train?task=subset:0-4&task=rotate:90')).toEqual({ kind: 'mnist', argument: 'train', options: {}, tasks: ['subset:0-4', 'rotate:90'] });
    expect(parseSpec('imagefolder:/data/pets?size=32x24&channels=3')).toEqual({ kind: 'imagefolder', argument: '/data/pets', options: { size: '32x24', channels: '3' }, tasks: [] });
    expect(parseSpec('idx:/a/imgs,/a/labels')).toMatchObject({ kind: 'idx', argument: '/a/imgs,/a/labels' });
  });

  it('keeps Windows drive letters and bare paths as the argument', () => {
    expect(parseSpec('C:\\data\\digits.csv')).toMatchObject({ kind: '', argument: 'C:\\data\\digits.csv' });
    expect(parseSpec('csv:C:\\data\\digits.csv?label=y')).toMatchObject({ kind: 'csv', argument: 'C:\\data\\digits.csv', options: { label: 'y' } });
    expect(parseSpec('./digits.csv')).toMatchObject({ kind: '', argument: './digits.csv' });
  });

  it('formats a canonical id with options sorted and tasks in order', () => {
    expect(formatSpec(parseSpec('imagefolder:/x?size=28&channels=1&task=invert&task=rotate:90'))).toBe('imagefolder:/x?channels=1&size=28&task=invert&task=rotate:90');
  });

  it('records the full spec as the dataset id', async () => {
    const d = await loadDataset('mnist:test?task=subset:0-4&task=invert');
    expect(d.id).toBe('mnist:test?task=subset:0-4&task=invert');
  });

  it('refuses empty specs, unknown kinds, options and tasks, saying what is known', async () => {
    expect(() => parseSpec('  ')).toThrow(/empty/);
    await expect(loadDataset('svhn:train')).rejects.toThrow(/unknown dataset kind "svhn".*mnist:train/);
    await expect(loadDataset('mnist:test?size=32')).rejects.toThrow(/option "size" not known to mnist/);
    await expect(loadDataset('mnist:test?task=blur:2')).rejects.toThrow(/unknown task "blur".*rotate:90/);
    await expect(loadDataset('/no/such/thing')).rejects.toThrow(/\/no\/such\/thing: is not a dataset spec/);
  });
});
