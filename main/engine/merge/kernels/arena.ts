// Shared memory that a merge reads tensors into and merges into, reused from tensor to tensor. It is one
// shared WebAssembly memory (its buffer is a SharedArrayBuffer), so:
//   - the hashing workers (SHA-256 of parents and output, CRC-32 of records) and the merge workers read
//     the bytes in place — nothing is copied or moved between threads;
//   - the SIMD kernel (wasm-linear.ts), which reads only its own memory, works on them directly.
// Reusing blocks also keeps the garbage collector off the main thread (a fresh 8 MB buffer per input per
// tensor kept it busy). One arena per merge run: a WebAssembly memory never shrinks, so dropping the
// arena at the end is what gives the memory back. Blocks too big for it, or beyond its 4 GiB, are plain
// SharedArrayBuffers (merged by the JS kernels).
import { isShared, sharedBytes } from '../../formats/offload-hash';

const PAGE = 65536;
/** wasm32's limit; reserved as address space only, committed as it is used. */
const MAX_PAGES = 65536;
/** Blocks start 16-byte aligned and are padded to 16 bytes, so the SIMD loop needs no scalar tail. */
const ALIGN = 16;

let nextArenaId = 0;

/** A block's size for `bytes` bytes: what the SIMD kernel may read or write from the block's start. */
export const padded = (bytes: number) => Math.ceil(bytes / ALIGN) * ALIGN;

export class SharedArena {
  readonly id = nextArenaId++;
  readonly memory: WebAssembly.Memory | undefined;
  /** Block start → padded size, for every block handed out from the memory. */
  private readonly blocks = new Map<number, number>();
  /** Free blocks by padded size. */
  private readonly free = new Map<number, number[]>();
  /** The memory's buffer objects so far (one per size it had): a view over any of them is ours. */
  private readonly buffers = new Set<SharedArrayBuffer>();
  private top = 0;
  /** Plain shared buffers given back, by size, kept up to `maxPlainBytes` in all. */
  private readonly plain = new Map<number, Uint8Array[]>();
  private plainHeld = 0;

  /** `maxBlockBytes`: bigger blocks are plain SharedArrayBuffers. */
  constructor(private readonly maxBlockBytes: number, private readonly maxPlainBytes: number) {
    try {
      this.memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
      this.buffers.add(this.memory.buffer as unknown as SharedArrayBuffer);
    } catch {
      this.memory = undefined; // no shared WebAssembly memory here: plain shared buffers only
    }
  }

  /** `bytes` bytes of shared memory (contents undefined): a block of the arena when it fits. */
  take(bytes: number): Uint8Array {
    if (this.memory && bytes > 0 && bytes <= this.maxBlockBytes) {
      const size = padded(bytes);
      const start = this.free.get(size)?.pop() ?? this.grow(size);
      if (start !== undefined) return new Uint8Array(this.memory.buffer, start, bytes);
    }
    const kept = this.plain.get(bytes)?.pop();
    if (kept) { this.plainHeld -= bytes; return kept; }
    return sharedBytes(bytes);
  }

  /** Gives blocks back for reuse (anything else — a view not taken here — is ignored). */
  give(views: Uint8Array[]): void {
    for (const b of views) {
      const size = this.blockOf(b);
      if (size !== undefined) {
        const list = this.free.get(size) ?? [];
        list.push(b.byteOffset);
        this.free.set(size, list);
      } else if (b.byteLength > 0 && isShared(b) && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && this.plainHeld + b.byteLength <= this.maxPlainBytes) {
        const list = this.plain.get(b.byteLength) ?? [];
        list.push(b);
        this.plain.set(b.byteLength, list);
        this.plainHeld += b.byteLength;
      }
    }
  }

  /**
   * The padded size of the arena block `view` starts, when it is one of ours and starts a block: the SIMD
   * kernel may then read and write up to that many bytes from its start.
   */
  blockOf(view: ArrayBufferView): number | undefined {
    if (!this.buffers.has(view.buffer as SharedArrayBuffer)) return undefined;
    const size = this.blocks.get(view.byteOffset);
    return size !== undefined && size >= view.byteLength ? size : undefined;
  }

  /** A new block at the top, growing the memory as needed; undefined when it cannot grow. */
  private grow(size: number): number | undefined {
    const memory = this.memory!;
    const end = this.top + size;
    const have = memory.buffer.byteLength;
    if (end > have) {
      try {
        memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        return undefined; // past 4 GiB or out of address space: a plain buffer instead
      }
      this.buffers.add(memory.buffer as unknown as SharedArrayBuffer);
    }
    const start = this.top;
    this.top = end;
    this.blocks.set(start, size);
    return start;
  }
}
