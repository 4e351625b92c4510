/**
 * A set of sequence numbers kept as sorted, disjoint, non-touching inclusive ranges.
 * The acked set and each segment's seqs are mostly one long run, so memory stays a few numbers per gap,
 * whatever the number of entries.
 */
export class SeqRanges {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private count = 0;

  /** How many seqs are in the set. */
  get size(): number {
    return this.count;
  }

  get rangeCount(): number {
    return this.starts.length;
  }

  get first(): number | undefined {
    return this.starts[0];
  }

  get last(): number | undefined {
    return this.ends[this.ends.length - 1];
  }

  has(seq: number): boolean {
    const i = this.lastStartingAtOrBefore(seq);
    return i >= 0 && this.ends[i]! >= seq;
  }

  /** Adds every seq in [start, end]; returns how many of them were not in the set before. */
  add(start: number, end: number = start): number {
    if (end < start) return 0;
    const n = this.starts.length;
    // Appends arrive in increasing order: extend or push without searching.
    if (n === 0 || start > this.ends[n - 1]! + 1) {
      this.starts.push(start);
      this.ends.push(end);
      this.count += end - start + 1;
      return end - start + 1;
    }
    const from = this.firstEndingAtOrAfter(start - 1);
    const to = this.lastStartingAtOrBefore(end + 1);
    if (from > to) {
      this.starts.splice(from, 0, start);
      this.ends.splice(from, 0, end);
      this.count += end - start + 1;
      return end - start + 1;
    }
    const mergedStart = Math.min(start, this.starts[from]!);
    const mergedEnd = Math.max(end, this.ends[to]!);
    let replaced = 0;
    for (let i = from; i <= to; i++) replaced += this.ends[i]! - this.starts[i]! + 1;
    this.starts.splice(from, to - from + 1, mergedStart);
    this.ends.splice(from, to - from + 1, mergedEnd);
    const added = mergedEnd - mergedStart + 1 - replaced;
    this.count += added;
    return added;
  }

  /** Removes every seq in [start, end]; returns how many were removed. */
  delete(start: number, end: number = start): number {
    if (end < start) return 0;
    const from = this.firstEndingAtOrAfter(start);
    const to = this.lastStartingAtOrBefore(end);
    if (from > to) return 0;
    const keepStarts: number[] = [];
    const keepEnds: number[] = [];
    if (this.starts[from]! < start) {
      keepStarts.push(this.starts[from]!);
      keepEnds.push(start - 1);
    }
    if (this.ends[to]! > end) {
      keepStarts.push(end + 1);
      keepEnds.push(this.ends[to]!);
    }
    let before = 0;
    for (let i = from; i <= to; i++) before += this.ends[i]! - this.starts[i]! + 1;
    let after = 0;
    for (let i = 0; i < keepStarts.length; i++) after += keepEnds[i]! - keepStarts[i]! + 1;
    this.starts.splice(from, to - from + 1, ...keepStarts);
    this.ends.splice(from, to - from + 1, ...keepEnds);
    this.count -= before - after;
    return before - after;
  }

  /** How many seqs of [start, end] are in the set. */
  countWithin(start: number, end: number): number {
    let total = 0;
    for (let i = this.firstEndingAtOrAfter(start); i < this.starts.length && this.starts[i]! <= end; i++) {
      total += Math.min(end, this.ends[i]!) - Math.max(start, this.starts[i]!) + 1;
    }
    return total;
  }

  /** How many seqs of `other` are also in this set. */
  countShared(other: SeqRanges): number {
    let total = 0;
    for (const [start, end] of other.ranges()) total += this.countWithin(start, end);
    return total;
  }

  ranges(): Array<[number, number]> {
    return this.starts.map((start, i) => [start, this.ends[i]!]);
  }

  private lastStartingAtOrBefore(seq: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private firstEndingAtOrAfter(seq: number): number {
    let lo = 0;
    let hi = this.ends.length - 1;
    let found = this.ends.length;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! >= seq) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return found;
  }
}
