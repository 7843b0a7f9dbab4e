// The one shape every model file takes once opened, and the interfaces a format plugs in with.
import type { DType } from '../tensor/dtypes';

export type FormatId = 'safetensors' | 'onnx' | 'pytorch';

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Bytes of the tensor's data once contiguous (elements × dtype size). */
  byteLength: number;
  /** Fetch just this tensor's bytes, contiguous, little-endian, row-major (positioned reads). */
  read(): Promise<Uint8Array>;
  /**
   * The same bytes as read(), plus where they lie verbatim in the file (undefined when they do not, e.g. a
   * strided view or a deflated record). Lets a caller hash the file from the bytes it reads anyway.
   * `into`, a buffer of exactly byteLength bytes, may be filled and returned instead of a new one (a caller
   * recycling its buffers); a reader that cannot use it ignores it.
   */
  readSpan?(into?: Uint8Array): Promise<{ data: Uint8Array; fileOffset: number | undefined }>;
}

/** A node of an ONNX graph, for the graph view and the alignment's permutation spec. */
export interface GraphNodeInfo {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}
export interface GraphInfo {
  inputs: { name: string; dtype?: DType | string; shape?: (number | string)[] }[];
  outputs: { name: string; dtype?: DType | string; shape?: (number | string)[] }[];
  nodes: GraphNodeInfo[];
  opset?: number;
}

export interface ModelSource {
  path: string;
  format: FormatId;
  /** Free-form string metadata (safetensors __metadata__, ONNX metadata_props, …). */
  metadata: Record<string, string>;
  tensors: TensorInfo[];
  /** Groups of names that share one storage (tied weights), each group of two or more. */
  tied: string[][];
  graph?: GraphInfo;
  /** The model folder it was opened from (config.json, tokenizer files beside `path`), when it was one. */
  folder?: string;
  /** Things done while opening that the user should know (unwrapped a checkpoint, stripped `module.`, …). */
  notes: string[];
  /**
   * Checks what opening did not: sizes the headers only claim (always cheap) and, with `data`, the stored
   * bytes against the file's own checksums (a PyTorch zip record's CRC-32), reading them. `tensors` limits
   * the data check to the records those tensors lie in. Returns one sentence per problem; [] when sound.
   */
  verify?(options: { data: boolean; tensors?: string[] }): Promise<string[]>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Upper bound on any single allocation the reader makes from header values (defence against bombs). */
  maxHeaderBytes?: number;
}

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: number[];
}

export interface WriteOptions {
  metadata?: Record<string, string>;
  /** Tied groups: the first name of each group is written; the writer keeps the others tied to it. */
  tied?: string[][];
  /** For ONNX output: the ONNX model whose graph to keep (its initializers are replaced). */
  graphFrom?: string;
}

/** What a writer may report of the file it wrote, hashed as it was written (no second pass). */
export interface WrittenFile {
  sha256: string;
  bytes: number;
}

/**
 * A streaming write: the writer knows every tensor's spec up front, then receives the data of each
 * non-alias tensor in spec order, exactly once. Output goes to a temp file renamed on finish();
 * abort() removes it, so nothing half-written is ever left at `path`.
 */
export interface TensorWriteSession {
  writeTensor(name: string, data: Uint8Array): Promise<void>;
  /**
   * Completes the file. A writer with `lateMetadata` takes the final metadata here (it replaces the one
   * given to begin(); for safetensors it must not encode longer than that one, whose room it fills).
   */
  finish(final?: { metadata?: Record<string, string> }): Promise<WrittenFile | void>;
  abort(): Promise<void>;
}

export interface FormatReader {
  id: FormatId;
  /** Human name for messages ("PyTorch checkpoint"). */
  label: string;
  extensions: string[];
  /** True when the first bytes (up to 4 KiB) and the path say this reader owns the file. */
  sniff(head: Uint8Array, path: string): boolean;
  open(path: string, options?: OpenOptions): Promise<ModelSource>;
}

export interface FormatWriter {
  id: FormatId;
  extensions: string[];
  /** True when finish() accepts the final metadata (so it can hold what is only known at the end). */
  lateMetadata?: boolean;
  begin(path: string, specs: TensorSpec[], options?: WriteOptions): Promise<TensorWriteSession>;
}

/** An error about a user's file: the message says which file, what is wrong and what to do. */
export class ModelFileError extends Error {
  constructor(
    public readonly file: string,
    public readonly problem: string,
    public readonly hint = '',
  ) {
    super(`${file}: ${problem}${hint ? ` — ${hint}` : ''}`);
    this.name = 'ModelFileError';
  }
}
