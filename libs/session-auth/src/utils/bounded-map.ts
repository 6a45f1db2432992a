import { LRUCache } from 'lru-cache';

/**
 * The one bounded map behind every in-process cache (near cache, memory cache, verified tokens,
 * local touches, parsed user agents): at most `max` entries, the least recently used dropped first,
 * each entry optionally living `ttlMs` milliseconds. Built on lru-cache.
 */
export class BoundedMap<V extends NonNullable<unknown>> {
  private readonly lru: LRUCache<string, V>;

  /**
   * @param max entries kept at the most.
   * @param defaultTtlMs lifetime of an entry set without its own; `undefined`: no expiry.
   */
  constructor(
    max: number,
    private readonly defaultTtlMs?: number,
  ) {
    // Date, not performance: wall-clock time like Redis PX (and what jest's fake timers move);
    // ttlResolution 0: read the clock on every check, never a cached reading nor a timer.
    this.lru = new LRUCache<string, V>({ max, perf: Date, ttlResolution: 0 });
  }

  get size(): number {
    return this.lru.size;
  }

  /** The value, or `undefined` when absent or expired (an expired entry is dropped). */
  get(key: string): V | undefined {
    return this.lru.get(key);
  }

  has(key: string): boolean {
    return this.lru.has(key);
  }

  /** Stores `value` for `ttlMs` (a lifetime of 0 or less: gone at once, like Redis PX). */
  set(key: string, value: V, ttlMs = this.defaultTtlMs): void {
    if (ttlMs === undefined) {
      this.lru.set(key, value, { ttl: 0 });
    } else if (ttlMs <= 0) {
      this.lru.delete(key);
    } else {
      // lru-cache counts an entry stale once MORE than `ttl` ms passed; ours expire once `ttlMs`
      // have passed (Redis PX, and the maps this replaced): start the clock one ms earlier.
      this.lru.set(key, value, { ttl: Math.ceil(ttlMs), start: Date.now() - 1 });
    }
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  /** The live keys, most recently used first. */
  keys(): string[] {
    return [...this.lru.keys()];
  }
}
