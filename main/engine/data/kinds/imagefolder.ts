// Image folders: one sub-folder per class (sorted by name = class index), PNG/JPEG files inside, decoded
// with pngjs / jpeg-js, converted to gray or RGB and resized bilinearly to one size.
// "imagefolder:DIR[?size=28|32x24][&channels=1|3]"; defaults: the first image's size, gray when all are gray.
import { readFile } from 'node:fs/promises';
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { throwIfCancelled } from '../../job-context';
import { DatasetError } from '../errors';
import { decodeImage, isGray, toPlanar } from '../image/decode';
import { resizeBilinear } from '../image/bilinear';
import type { DatasetKind } from '../kind';
import { makeDataset } from '../make';

const IMAGE_EXT = /\.(png|jpe?g)$/i;
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0); // code-point order: same on every OS

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new DatasetError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'Check its permissions');
  }
}

function readFolder(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new DatasetError(dir, `cannot be read as a folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'Check the path');
  }
}

/**
 * The classes and image files of an image folder, as the loader reads them (and the path check judges them).
 * Only real sub-folders and real files count: entries that are symbolic links are skipped, never followed.
 */
export function listImageFolder(folder: string): { classNames: string[]; files: { path: string; label: number }[] } {
  const classNames = readFolder(folder).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(byName);
  if (classNames.length === 0) throw new DatasetError(folder, 'has no class sub-folders', 'Put the images of each class in their own sub-folder (e.g. cats/, dogs/)');
  const files: { path: string; label: number }[] = [];
  for (let c = 0; c < classNames.length; c++) {
    const dir = join(folder, classNames[c]);
    const names = readFolder(dir).filter((e) => e.isFile() && IMAGE_EXT.test(e.name)).map((e) => e.name).sort(byName);
    if (names.length === 0) throw new DatasetError(dir, 'holds no PNG or JPEG images', 'Add images to this class folder or remove it');
    for (const n of names) files.push({ path: join(dir, n), label: c });
  }
  return { classNames, files };
}

function parseSize(text: string | undefined, source: string): [number, number] | null {
  if (text === undefined || text === '') return null;
  const m = /^(\d+)(?:x(\d+))?$/i.exec(text);
  const h = m ? Number(m[1]) : NaN, w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || h < 1 || w < 1 || h > 4096 || w > 4096) throw new DatasetError(source, `size=${text} is not a size`, 'Write size=28 or size=HxW (height×width, 1..4096)');
  return [h, w];
}

export const imagefolderKind: DatasetKind = {
  name: 'imagefolder',
  summary: 'A folder with one sub-folder of PNG/JPEG images per class',
  usage: 'imagefolder:FOLDER[?size=N|HxW][&channels=1|3]',
  builtins: [],
  options: ['size', 'channels'],
  paths(folder, _options, check) {
    if (!folder) return [];
    const real = check(folder);
    return [real, ...listImageFolder(real).files.map((f) => check(f.path))];
  },
  detect: (path) => { try { return statSync(path).isDirectory(); } catch { return false; } },
  async load(folder, options, id, ctx) {
    if (!folder) throw new DatasetError('imagefolder:', 'needs a folder', 'Write imagefolder:/path/to/folder');
    const size = parseSize(options.size, id);
    const channelsOpt = options.channels;
    if (channelsOpt !== undefined && channelsOpt !== '1' && channelsOpt !== '3') throw new DatasetError(id, `channels=${channelsOpt} is not 1 or 3`, 'Write channels=1 (gray) or channels=3 (RGB)');

    const { classNames, files } = listImageFolder(folder);

    // Each image is converted and resized as soon as it is decoded (big photos never pile up in memory).
    // With channels left to us we keep RGB and drop to gray at the end if every image was gray.
    let h = 0, w = 0;
    let allGray = true;
    const keep: 1 | 3 = channelsOpt === '1' ? 1 : 3;
    const planes: Float32Array[] = [];
    for (let i = 0; i < files.length; i++) {
      throwIfCancelled(ctx);
      const img = decodeImage(await readBytes(files[i].path), files[i].path);
      if (i === 0) [h, w] = size ?? [img.height, img.width];
      if (allGray && !channelsOpt) allGray = isGray(img);
      planes.push(resizeBilinear(toPlanar(img, keep), keep, img.height, img.width, h, w));
      if (i % 256 === 0 || i === files.length - 1) ctx.progress({ done: i + 1, total: files.length, unit: 'images', message: 'decoding images' });
    }
    const channels: 1 | 3 = channelsOpt ? keep : allGray ? 1 : 3;
    const per = channels * h * w;
    const inputs = new Float32Array(files.length * per);
    const labels = new Int32Array(files.length);
    planes.forEach((p, i) => {
      // Gray images kept as RGB have three equal planes: the first is the image.
      inputs.set(channels === keep ? p : p.subarray(0, per), i * per);
      labels[i] = files[i].label;
    });
    return makeDataset({ id, inputShape: [channels, h, w], numClasses: classNames.length, classNames, size: files.length, inputs, labels });
  },
};
