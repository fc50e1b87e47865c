/**
 * Sets of IP addresses of one family as sorted, disjoint, non-adjacent inclusive ranges (the role of Go's
 * red-black `ippool.IPPool`). Lookups are binary searches; taking the lowest free address is O(log n).
 * @module
 */
import { familyBits, formatCidr } from '../mechanisms/ip.js';

interface Range {
  start: bigint;
  end: bigint;
}

/** @internal */
export class IpRangeSet {
  readonly family: 4 | 6;
  readonly #ranges: Range[] = [];

  constructor(family: 4 | 6) {
    this.family = family;
  }

  /** Index of the first range whose end is ≥ `value`. */
  #lowerBound(value: bigint): number {
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#ranges[mid] as Range).end < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get isEmpty(): boolean {
    return this.#ranges.length === 0;
  }

  /** The range containing `value`, if any. */
  rangeOf(value: bigint): Readonly<Range> | undefined {
    const range = this.#ranges[this.#lowerBound(value)];
    return range !== undefined && range.start <= value ? range : undefined;
  }

  has(value: bigint): boolean {
    return this.rangeOf(value) !== undefined;
  }

  /** Adds `[start, end]`, merging with overlapping and adjacent ranges. */
  add(start: bigint, end: bigint): void {
    const first = this.#lowerBound(start > 0n ? start - 1n : 0n);
    let last = first;
    let merged: Range = { start, end };
    while (last < this.#ranges.length) {
      const range = this.#ranges[last] as Range;
      if (range.start > end + 1n) break;
      if (range.start < merged.start) merged = { ...merged, start: range.start };
      if (range.end > merged.end) merged = { ...merged, end: range.end };
      last++;
    }
    this.#ranges.splice(first, last - first, merged);
  }

  /** Removes `[start, end]`. */
  remove(start: bigint, end: bigint): void {
    const first = this.#lowerBound(start);
    let last = first;
    const keep: Range[] = [];
    while (last < this.#ranges.length) {
      const range = this.#ranges[last] as Range;
      if (range.start > end) break;
      if (range.start < start) keep.push({ start: range.start, end: start - 1n });
      if (range.end > end) keep.push({ start: end + 1n, end: range.end });
      last++;
    }
    if (last > first) this.#ranges.splice(first, last - first, ...keep);
  }

  /**
   * The lowest `count` members not in `exclude` (fewer when there are not enough), without taking them.
   */
  lowest(count: number, exclude?: IpRangeSet): bigint[] {
    const found: bigint[] = [];
    for (const range of this.#ranges) {
      let cursor = range.start;
      while (cursor <= range.end && found.length < count) {
        const excluded = exclude?.rangeOf(cursor);
        if (excluded === undefined) found.push(cursor++);
        else cursor = excluded.end + 1n;
      }
      if (found.length === count) break;
    }
    return found;
  }

  /** The members as the fewest aligned CIDRs, in address order (Go `IPPool.GetPrefixes`). */
  prefixes(): string[] {
    const width = familyBits(this.family);
    const out: string[] = [];
    for (const { start, end } of this.#ranges) {
      let cursor = start;
      while (cursor <= end) {
        let bits = width;
        // Widen while the block stays aligned at `cursor` and inside the range.
        while (bits > 0) {
          const size = 1n << BigInt(width - bits + 1);
          if ((cursor & (size - 1n)) !== 0n || cursor + size - 1n > end) break;
          bits--;
        }
        out.push(formatCidr({ family: this.family, value: cursor }, bits));
        cursor += 1n << BigInt(width - bits);
      }
    }
    return out;
  }
}
