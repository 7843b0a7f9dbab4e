// The format registry: which readers and writers exist, and which one a given file needs.
// Readers are picked by content (their sniff of the first bytes); the extension only breaks ties.
// A new format is one file exporting a FormatReader/FormatWriter, added to the lists below.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { onnxReader, onnxWriter } from './onnx';
import { pytorchReader, pytorchWriter } from './pytorch';
import { openRegularFile } from './regular-file';
import { safetensorsReader, safetensorsWriter } from './safetensors';
import { resolveModelFolder } from './model-folder';
import { pytorchIndexReader, safetensorsIndexReader } from './safetensors-index';
import { ModelFileError, type FormatId, type FormatReader, type FormatWriter, type ModelSource, type OpenOptions } from './types';

export const READERS: readonly FormatReader[] = [safetensorsReader, safetensorsIndexReader, pytorchIndexReader, onnxReader, pytorchReader];
export const WRITERS: readonly FormatWriter[] = [safetensorsWriter, onnxWriter, pytorchWriter];

const SNIFF_BYTES = 4096;
const SUPPORTED = 'safetensors (.safetensors, sharded .safetensors.index.json), ONNX (.onnx), PyTorch (.pt, .pth, .bin, .ckpt, sharded .bin.index.json), a Hugging Face model folder';

export interface FormatDescription {
  id: FormatId;
  label: string;
  readExtensions: string[];
  writeExtensions: string[];
}

export function listFormats(): FormatDescription[] {
  const ids = [...new Set([...READERS.map((r) => r.id), ...WRITERS.map((w) => w.id)])];
  return ids.map((id) => ({
    id,
    label: READERS.find((r) => r.id === id)?.label ?? id,
    readExtensions: READERS.filter((r) => r.id === id).flatMap((r) => r.extensions),
    writeExtensions: WRITERS.filter((w) => w.id === id).flatMap((w) => w.extensions),
  }));
}

function hasExtension(file: string, extensions: readonly string[]): boolean {
  const lower = file.toLowerCase();
  return extensions.some((e) => lower.endsWith(e));
}

function hexHead(head: Uint8Array): string {
  return Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

/** The reader whose sniff accepts these first bytes; when several do, the one owning the extension. */
export function pickReader(head: Uint8Array, file: string): FormatReader | undefined {
  const candidates = READERS.filter((r) => {
    try { return r.sniff(head, file); } catch { return false; }
  });
  return candidates.find((r) => hasExtension(file, r.extensions)) ?? candidates[0];
}

async function readHead(file: string): Promise<Uint8Array> {
  let handle: fs.FileHandle;
  let size: number;
  try {
    // a pipe or device named like a model is refused here, before a read could block or never end
    ({ handle, size } = await openRegularFile(file));
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelFileError(file, 'does not exist', 'check the path, or pick the file again');
    if (code === 'EACCES' || code === 'EPERM') throw new ModelFileError(file, 'cannot be read (permission denied)', 'check the file\'s permissions');
    if (code === 'EISDIR') throw new ModelFileError(file, 'is a folder, not a model file', 'pick the model file inside it');
    throw new ModelFileError(file, `cannot be opened (${code ?? (e as Error).message})`);
  }
  try {
    if (size === 0) throw new ModelFileError(file, 'is empty', 'the download or export did not finish; get the file again');
    const head = new Uint8Array(Math.min(SNIFF_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Opens any supported model file. Every failure is a ModelFileError naming the file, the problem
 * and what to do; a reader's internal error is wrapped so no stack trace reaches the user.
 */
export async function openModel(file: string, options?: OpenOptions): Promise<ModelSource> {
  if (await fs.stat(file).then((s) => s.isDirectory(), () => false)) return openModelFolder(file, options);
  const head = await readHead(file);
  const reader = pickReader(head, file);
  if (!reader) {
    const byName = READERS.find((r) => hasExtension(file, r.extensions));
    throw new ModelFileError(file,
      byName ? `is named like ${article(byName.label)} ${byName.label} file but its content is not one (first bytes: ${hexHead(head)})`
        : `is not a model file this app reads (first bytes: ${hexHead(head)})`,
      `supported formats: ${SUPPORTED}; if it is one of these, the file may be damaged — export or download it again`);
  }
  try {
    return await reader.open(file, options);
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    if (e instanceof RangeError) {
      throw new ModelFileError(file, `asks for more memory than it could need (${e.message})`, 'the file is damaged; export or download it again');
    }
    throw new ModelFileError(file, `could not be read as ${reader.label} (${(e as Error).message})`,
      'the file is damaged or truncated; export or download it again');
  }
}

/** A Hugging Face model folder (or HF cache repo folder) opens as its weights file; the source names the folder. */
async function openModelFolder(dir: string, options?: OpenOptions): Promise<ModelSource> {
  const { dir: folder, weights } = await resolveModelFolder(dir);
  const source = await openModel(weights, options);
  source.folder = folder;
  source.notes.unshift(`model folder ${folder}: weights ${path.basename(weights)}`);
  return source;
}

/** The writer for an output path, chosen by its extension. */
export function writerFor(file: string): FormatWriter {
  const writer = WRITERS.find((w) => hasExtension(file, w.extensions));
  if (!writer) {
    const ext = path.extname(file) || '(none)';
    throw new ModelFileError(file, `has extension ${ext}, which is not a format this app writes`,
      `name the output ${WRITERS.flatMap((w) => w.extensions).join(', ')}`);
  }
  return writer;
}
