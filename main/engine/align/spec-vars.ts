// The permutation variables of a spec being derived: one per layer output, joined where axes must move together.

/** Union-find over permutation variables, with each root's size and reasons to leave it unpermuted. */
export class Vars {
  parent: number[] = [];
  size: number[] = [];
  producers: string[][] = [];
  fixed: (string | undefined)[] = [];
  make(size: number, producer: string): number {
    const id = this.parent.length;
    this.parent.push(id); this.size.push(size); this.producers.push([producer]); this.fixed.push(undefined);
    return id;
  }
  find(x: number): number {
    while (this.parent[x] !== x) { this.parent[x] = this.parent[this.parent[x]]; x = this.parent[x]; }
    return x;
  }
  union(a: number, b: number): string | undefined {
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) return undefined;
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra]; // the older one stays the root (names the group)
    this.parent[hi] = lo;
    for (const p of this.producers[hi]) this.producers[lo].push(p); // no spread: a group may gather many producers
    this.fixed[lo] ??= this.fixed[hi];
    if (this.size[lo] !== this.size[hi]) {
      this.fixed[lo] ??= `joins axes of ${this.size[lo]} and ${this.size[hi]} units`;
      return 'size mismatch';
    }
    return undefined;
  }
  fix(x: number, reason: string): void { const r = this.find(x); this.fixed[r] ??= reason; }
}
