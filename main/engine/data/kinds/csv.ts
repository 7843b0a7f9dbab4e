// CSV tables: numeric feature columns and one label column (by name, by 0-based index, or the last).
// "csv:FILE[?label=NAME|INDEX][&header=auto|yes|no][&delimiter=,]". Labels that are all non-negative
// integers are class indices; otherwise each distinct text is a class (sorted by name). Errors name lines and
// column indices, never a cell's or a header's text.
import { readFile } from 'node:fs/promises';
import { DatasetError } from '../errors';
import { parseCsv } from '../csv-parse';
import type { DatasetKind } from '../kind';
import { digitNames, makeDataset } from '../make';
import type { Dataset } from '../types';

const isNumber = (s: string) => s.trim() !== '' && Number.isFinite(Number(s));

export async function loadCsv(file: string, options: Record<string, string>, id: string): Promise<Dataset> {
  if (!file) throw new DatasetError('csv:', 'needs a file', 'Write csv:/path/to/table.csv');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new DatasetError(file, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'Check the path');
  }
  const delimiter = options.delimiter === 'tab' ? '\t' : options.delimiter || (/\.tsv$/i.test(file) ? '\t' : ',');
  let rows;
  try {
    rows = parseCsv(text, delimiter);
  } catch (e) {
    throw new DatasetError(file, (e as Error).message, 'Close the quote');
  }
  if (rows.length === 0) throw new DatasetError(file, 'is empty', 'Give a table with feature columns and a label column');

  const headerOpt = (options.header ?? 'auto').toLowerCase();
  if (!['auto', 'yes', 'no'].includes(headerOpt)) throw new DatasetError(id, `header=${options.header} is not auto, yes or no`, 'Write header=yes, header=no or leave it out');
  const first = rows[0].fields;
  const labelOpt = options.label;
  // Auto: a first row with a non-number outside the label column is a header.
  const hasHeader = headerOpt === 'yes' || (headerOpt === 'auto' && first.some((f, i) => !isNumber(f) && (labelOpt === undefined ? i < first.length - 1 : f.trim() !== labelOpt && String(i) !== labelOpt)));
  const header = hasHeader ? first.map((f) => f.trim()) : null;
  const body = hasHeader ? rows.slice(1) : rows;
  const width = first.length;
  if (width < 2) throw new DatasetError(file, `has ${width} column; it needs at least one feature and a label`, 'Check the delimiter (set ?delimiter=; or tab)');

  let labelCol: number;
  if (labelOpt === undefined || labelOpt === '') labelCol = width - 1;
  else if (header && header.includes(labelOpt)) labelCol = header.indexOf(labelOpt);
  else if (/^\d+$/.test(labelOpt) && Number(labelOpt) < width) labelCol = Number(labelOpt);
  else {
    // The header's names are the file's contents: the message gives only counts.
    const cols = header ? `none of the ${width} names in its header row is "${labelOpt}"` : `it has no header row and ${width} columns (indices 0..${width - 1})`;
    throw new DatasetError(file, `has no label column "${labelOpt}"; ${cols}`, `Set ?label= to a name from its header row or an index 0..${width - 1}`);
  }
  if (body.length === 0) throw new DatasetError(file, 'has a header but no rows', 'Add data rows');

  const f = width - 1;
  const inputs = new Float32Array(body.length * f);
  const rawLabels: string[] = [];
  body.forEach((row, r) => {
    if (row.fields.length !== width) throw new DatasetError(file, `line ${row.line} has ${row.fields.length} fields, the first row has ${width}`, 'Make every row the same width');
    let k = 0;
    row.fields.forEach((v, c) => {
      if (c === labelCol) {
        if (v.trim() === '') throw new DatasetError(file, `line ${row.line} has no label (column ${c} is empty)`, 'Fill in the label or remove the row');
        rawLabels.push(v.trim());
      } else {
        if (!isNumber(v)) throw new DatasetError(file, `line ${row.line}, column ${c} (counting from 0) is not a number`, 'Features must be numbers; drop or encode text columns');
        inputs[r * f + k++] = Number(v);
      }
    });
  });

  // Integer labels are class indices; anything else names classes.
  const asIndex = rawLabels.every((s) => /^\d+$/.test(s));
  let labels: Int32Array, classNames: string[];
  if (asIndex) {
    labels = Int32Array.from(rawLabels, Number);
    classNames = digitNames(labels.reduce((m, y) => Math.max(m, y), 0) + 1);
  } else {
    classNames = [...new Set(rawLabels)].sort();
    const index = new Map(classNames.map((n, i) => [n, i]));
    labels = Int32Array.from(rawLabels, (s) => index.get(s)!);
  }
  return makeDataset({ id, inputShape: [f], numClasses: classNames.length, classNames, size: body.length, inputs, labels });
}

export const csvKind: DatasetKind = {
  name: 'csv',
  summary: 'A CSV table: numeric feature columns and a label column',
  usage: 'csv:FILE[?label=NAME|INDEX][&header=auto|yes|no][&delimiter=,|;|tab]',
  builtins: [],
  options: ['label', 'header', 'delimiter'],
  load: (file, options, id) => loadCsv(file, options, id),
  paths: (file, _options, check) => (file ? [check(file)] : []),
  detect: (path) => /\.(csv|tsv)$/i.test(path),
};
