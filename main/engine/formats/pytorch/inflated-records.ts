// Deflated storage records (a torch.save zip re-packed with compression), shared by every tensor that views
// them. A record is inflated once and kept for all its views while a memory budget lasts; a record past
// the budget is inflated again for each read, only as far as that read needs. Which records are kept is
// decided when the file is opened, so the cost of reading every tensor is known before anything is read.
import type { ZipArchive, ZipEntry } from './zip';

/** Inflated bytes kept per open file, at most. */
export const KEPT_INFLATED_BYTES = 256 << 20;

/** What reads of one record inflate: `bytes` once in all when `kept`, else up to each read's end, per read. */
export interface Inflation {
  kept: boolean;
  bytes: number;
}

export class InflatedRecords {
  private readonly plans = new Map<ZipEntry, Inflation>();
  private readonly kept = new Map<ZipEntry, Promise<Uint8Array>>();
  private budgetLeft: number;

  constructor(private readonly zip: ZipArchive, budget = KEPT_INFLATED_BYTES) {
    this.budgetLeft = budget;
  }

  /** Registers a record whose reads need its first `bytes` bytes; kept while the budget lasts (first come). */
  plan(entry: ZipEntry, bytes: number): Inflation {
    const known = this.plans.get(entry);
    if (known) return known;
    const kept = bytes <= this.budgetLeft;
    if (kept) this.budgetLeft -= bytes;
    const plan = { kept, bytes };
    this.plans.set(entry, plan);
    return plan;
  }

  /** Bytes [offset, offset+length) of the record, as a copy of their own (callers may change them). */
  async read(entry: ZipEntry, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    const plan = this.plans.get(entry);
    if (!plan?.kept || offset + length > plan.bytes) return this.zip.readRange(entry, offset, length);
    let whole = this.kept.get(entry);
    if (!whole) {
      whole = this.zip.inflatePrefix(entry, plan.bytes);
      this.kept.set(entry, whole);
      whole.catch(() => this.kept.delete(entry)); // a failed inflate is retried (and fails again, clearly) next read
    }
    const bytes = (await whole).subarray(offset, offset + length);
    if (into && into.byteLength === length) {
      into.set(bytes);
      return into;
    }
    return new Uint8Array(bytes); // a copy (Buffer's slice() would be a view)
  }
}
