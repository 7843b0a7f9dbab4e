// IDX files (the original MNIST / Fashion-MNIST format): "idx:IMAGES,LABELS", "idx:IMAGES" (labels file
// found by the standard naming), or "idx:FOLDER?split=train|test" with the standard file names, .gz or not.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DatasetError } from '../errors';
import { readIdxFile } from '../idx-format';
import type { DatasetKind } from '../kind';
import { digitNames, makeDataset } from '../make';
import type { Dataset } from '../types';

const STANDARD = {
  train: { images: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'], labels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'] },
  test: { images: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'], labels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'] },
};

function findStandard(folder: string, names: string[]): string | undefined {
  for (const n of names) for (const ext of ['', '.gz']) {
    const p = join(folder, n + ext);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Resolves the spec argument to an images file and a labels file. */
export function resolveIdxFiles(argument: string, split: string): { images: string; labels: string } {
  const comma = argument.lastIndexOf(',');
  if (comma > 0) return { images: argument.slice(0, comma).trim(), labels: argument.slice(comma + 1).trim() };
  if (!argument) throw new DatasetError('idx:', 'needs a folder or files', 'Write idx:IMAGES_FILE,LABELS_FILE or idx:FOLDER');
  if (existsSync(argument) && statSync(argument).isDirectory()) {
    if (split !== 'train' && split !== 'test') throw new DatasetError(argument, `unknown split "${split}"`, 'Use ?split=train or ?split=test');
    const std = STANDARD[split];
    const images = findStandard(argument, std.images);
    const labels = findStandard(argument, std.labels);
    if (!images || !labels) {
      throw new DatasetError(argument, `does not hold the standard ${split} files (${std.images[0]} and ${std.labels[0]}, optionally .gz)`,
        'Name the files explicitly: idx:IMAGES_FILE,LABELS_FILE');
    }
    return { images, labels };
  }
  // A lone images file: its labels file has the standard sibling name.
  const name = basename(argument);
  const guess = name.replace('images', 'labels').replace('idx3', 'idx1');
  const labels = join(dirname(argument), guess);
  if (guess === name || !existsSync(labels)) {
    throw new DatasetError(argument, 'has no labels file beside it under the standard name', 'Name both files: idx:IMAGES_FILE,LABELS_FILE');
  }
  return { images: argument, labels };
}

export async function loadIdx(argument: string, options: Record<string, string>, id: string): Promise<Dataset> {
  const { images, labels } = resolveIdxFiles(argument, (options.split ?? 'train').toLowerCase());
  const img = await readIdxFile(images);
  const lab = await readIdxFile(labels);
  if (img.dims.length !== 2 && img.dims.length !== 3) {
    throw new DatasetError(images, `holds a ${img.dims.length}-D array (${img.dims.join('×')}); images must be N×H×W (or N×F features)`, 'Check that the images and labels files are not swapped');
  }
  if (lab.dims.length !== 1) throw new DatasetError(labels, `holds a ${lab.dims.length}-D array (${lab.dims.join('×')}); labels must be 1-D`, 'Check that the images and labels files are not swapped');
  if (lab.type === 'float' || lab.type === 'double') throw new DatasetError(labels, `holds ${lab.type} values; labels must be integers`, 'Give the labels file');
  const n = img.dims[0];
  if (lab.dims[0] !== n) throw new DatasetError(labels, `holds ${lab.dims[0]} labels but ${images} holds ${n} images`, 'Pair files of the same split');
  let maxLabel = -1;
  for (let i = 0; i < n; i++) {
    const y = lab.values[i];
    if (y < 0) throw new DatasetError(labels, `label ${i} is negative; labels must be class indices ≥ 0`, 'Give the labels file of this dataset');
    if (y > maxLabel) maxLabel = y;
  }
  const numClasses = options.classes ? Number(options.classes) : maxLabel + 1;
  if (!Number.isInteger(numClasses) || numClasses <= maxLabel) {
    throw new DatasetError(id, `classes=${options.classes} is not an integer above the largest label ${maxLabel}`, 'Leave "classes" out or raise it');
  }
  // Bytes are pixels: scale to [0, 1]. Other types are taken as they are.
  const inputs = img.values;
  if (img.type === 'ubyte') for (let i = 0; i < inputs.length; i++) inputs[i] /= 255;
  const inputShape = img.dims.length === 3 ? [1, img.dims[1], img.dims[2]] : [img.dims[1]];
  return makeDataset({ id, inputShape, numClasses, classNames: digitNames(numClasses), size: n, inputs, labels: Int32Array.from(lab.values) });
}

export const idxKind: DatasetKind = {
  name: 'idx',
  summary: 'IDX files, the original MNIST / Fashion-MNIST format (.gz or not)',
  usage: 'idx:IMAGES_FILE,LABELS_FILE | idx:IMAGES_FILE | idx:FOLDER[?split=train|test]  [&classes=N]',
  builtins: [],
  options: ['split', 'classes'],
  load: (argument, options, id) => loadIdx(argument, options, id),
  paths(argument, options, check) {
    // A folder or lone images file is judged before resolveIdxFiles looks inside or beside it; then the two files
    // it picks (either may be a link of its own).
    if (argument && argument.lastIndexOf(',') <= 0) check(argument);
    const { images, labels } = resolveIdxFiles(argument, (options.split ?? 'train').toLowerCase());
    return [check(images), check(labels)];
  },
  detect: (path) => /idx\d-ubyte(\.gz)?$/i.test(path) || (existsSync(path) && statSync(path).isDirectory() && !!findStandard(path, STANDARD.train.images)),
};
