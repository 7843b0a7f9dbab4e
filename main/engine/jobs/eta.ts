// Time left, only once it can be measured. A rate taken from the first instants of a job (files opening,
// parents hashing, a dataset loading) says "105 min left" for a merge that ends a second later; so the rate is
// measured from the first update of the current count (a new total or unit starts a new count), and there is no
// estimate until a second has passed and a few per cent of the count are done since then.

/** Seconds of measurement before an ETA is given. */
export const ETA_MIN_SECONDS = 1;
/** Share of the count done since measuring began before an ETA is given. */
export const ETA_MIN_FRACTION = 0.03;

export class EtaEstimator {
  private start?: { t: number; done: number; total: number; unit?: string };
  private last = 0;

  /** Seconds left at `t` (ms) with `done` of `total`, or null while the rate cannot be measured yet. */
  update(t: number, done: number, total: number, unit?: string): number | null {
    const s = this.start;
    const wentBack = done < this.last;
    this.last = done;
    if (!s || s.total !== total || s.unit !== unit || wentBack) {
      this.start = { t, done, total, unit };
      return null;
    }
    if (total <= 0 || done >= total) return total > 0 ? 0 : null;
    const seconds = (t - s.t) / 1000;
    const progressed = done - s.done;
    if (seconds < ETA_MIN_SECONDS || progressed / total < ETA_MIN_FRACTION) return null;
    return (seconds * (total - done)) / progressed;
  }
}
