// datasetPaths: every file a spec would read goes through the caller's path check, by real path, before anything
// looks inside it; with the allowed folders as the check, a spec reaching outside them is refused.
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetPaths, loadDataset } from '../../../main/engine/data';
import { FileRoots } from '../../../main/engine/files/roots';

const IDX = join(process.cwd(), 'tests', 'fixtures', 'data', 'idx');
const SECRET = `SECRET-${process.pid}-${Date.now()}`;
let base: string, home: string, outside: string;
let roots: FileRoots;
const check = (p: string) => roots.resolve(p);

function png(file: string, shade: number): void {
  const img = new PNG({ width: 4, height: 4 });
  img.data.fill(shade);
  writeFileSync(file, PNG.sync.write(img));
}

/** An image folder: classes a/ and b/ with one PNG each. */
function imageFolder(dir: string): void {
  for (const [c, shade] of [['a', 40], ['b', 200]] as const) {
    mkdirSync(join(dir, c), { recursive: true });
    png(join(dir, c, `${c}.png`), shade);
  }
}

/** Records what the loader would read without judging it. */
function recorded(spec: string): string[] {
  const seen: string[] = [];
  datasetPaths(spec, (p) => { seen.push(p); return p; });
  return seen;
}

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'ms-dspaths-')));
  home = join(base, 'home');
  outside = join(base, 'elsewhere');
  mkdirSync(home);
  mkdirSync(outside);
  roots = new FileRoots([], home);
  writeFileSync(join(outside, 'secret.csv'), `${SECRET},x\n1,2\n`);
  writeFileSync(join(home, 'ok.csv'), 'f,y\n1,0\n2,1\n');
  imageFolder(join(outside, 'imgs'));
  imageFolder(join(home, 'imgs'));
  // Inside home, leading out: a file, a folder, a class folder and an image inside an allowed image folder.
  symlinkSync(join(outside, 'secret.csv'), join(home, 'data.csv'));
  symlinkSync(join(outside, 'imgs'), join(home, 'linked-imgs'));
  symlinkSync(join(outside, 'imgs', 'a'), join(home, 'imgs', 'c-linked'));
  symlinkSync(join(outside, 'imgs', 'b', 'b.png'), join(home, 'imgs', 'a', 'z-linked.png'));
  // An IDX folder inside home whose standard files are links out.
  mkdirSync(join(outside, 'idx'));
  mkdirSync(join(home, 'idx'));
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']) {
    copyFileSync(join(IDX, f), join(outside, 'idx', f));
    symlinkSync(join(outside, 'idx', f), join(home, 'idx', f));
  }
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('the files a dataset spec reads', () => {
  it('names a CSV file, an IDX pair, the standard files of an IDX folder and every image of an image folder', () => {
    expect(recorded(`csv:${join(home, 'ok.csv')}?label=y`)).toEqual([join(home, 'ok.csv')]);
    expect(recorded(`idx:${join(home, 'i')},${join(outside, 'l')}`)).toEqual([join(home, 'i'), join(outside, 'l')]);
    expect(recorded(`idx:${IDX}`)).toEqual([IDX, join(IDX, 'train-images-idx3-ubyte'), join(IDX, 'train-labels-idx1-ubyte')]);
    expect(recorded(`idx:${IDX}?split=test`)).toEqual([IDX, join(IDX, 't10k-images-idx3-ubyte.gz'), join(IDX, 't10k-labels-idx1-ubyte.gz')]);
    // Links inside an image folder are not listed: the loader skips them too (below).
    expect(recorded(`imagefolder:${join(home, 'imgs')}`)).toEqual([join(home, 'imgs'), join(home, 'imgs', 'a', 'a.png'), join(home, 'imgs', 'b', 'b.png')]);
  });

  it('reads no path for built-in datasets and tasks', () => {
    expect(recorded('mnist')).toEqual([]);
    expect(recorded('mnist:test?task=rotate:90&task=invert')).toEqual([]);
  });

  it('judges a bare path before detecting its kind: a refusal looks at nothing outside', () => {
    const refuse = (p: string): string => { throw new Error(`refused ${p}`); };
    // Detection would call it an image folder (it exists) or nothing at all (it does not): either way the check speaks first.
    expect(() => datasetPaths(join(outside, 'imgs'), refuse)).toThrow(`refused ${join(outside, 'imgs')}`);
    expect(() => datasetPaths(join(outside, 'nothing-here'), refuse)).toThrow(`refused ${join(outside, 'nothing-here')}`);
  });
});

describe('datasets against the allowed folders', () => {
  it('allows files inside, by their real path', () => {
    expect(datasetPaths(`csv:${join(home, 'ok.csv')}`, check)).toEqual([join(home, 'ok.csv')]);
    expect(datasetPaths(join(home, 'imgs'), check)).toHaveLength(3);
  });

  const hostile = (): string[] => [
    `csv:${join(outside, 'secret.csv')}`,
    join(outside, 'secret.csv'),
    `csv:${relative(process.cwd(), join(outside, 'secret.csv'))}`,
    `csv:${[home, '..', 'elsewhere', 'secret.csv'].join(sep)}`,
    `csv:${join(home, 'data.csv')}`,
    join(home, 'data.csv'),
    `imagefolder:${join(outside, 'imgs')}`,
    join(outside, 'imgs'),
    `imagefolder:${join(home, 'linked-imgs')}?size=4`,
    `idx:${join(outside, 'idx')}`,
    `idx:${join(home, 'idx')}`,
    `idx:${join(outside, 'idx', 'train-images-idx3-ubyte')}`,
    `idx:${join(home, 'idx', 'train-images-idx3-ubyte')},${join(home, 'idx', 'train-labels-idx1-ubyte')}`,
    `idx:${join(home, 'nothing')},${join(outside, 'idx', 'train-labels-idx1-ubyte')}`,
  ];

  it('refuses every spec that reaches outside, by name, link or climbing, and quotes nothing of the file', () => {
    for (const spec of hostile()) {
      let message = '';
      try { datasetPaths(spec, check); } catch (e) { message = (e as Error).message; }
      expect(message, spec).toMatch(/outside the folders this app may use/);
      expect(message, spec).not.toContain(SECRET);
    }
  });

  it('names a link inside that leads out as the link, not where it leads', () => {
    expect(() => datasetPaths(`csv:${join(home, 'data.csv')}`, check)).toThrow(`${join(home, 'data.csv')} leads through a symbolic link to a place outside the folders`);
    let message = '';
    try { datasetPaths(`imagefolder:${join(home, 'linked-imgs')}`, check); } catch (e) { message = (e as Error).message; }
    expect(message).not.toContain(outside);
  });

  it('never follows a link inside an allowed image folder: the loader reads only what the check judged', async () => {
    const d = await loadDataset(`imagefolder:${join(home, 'imgs')}`);
    expect(d.classNames).toEqual(['a', 'b']);
    expect(d.size).toBe(2);
  });
});
