import { BoundedMap } from '../utils/bounded-map.js';
import type { SessionCache } from './session-cache.interface.js';

/** Keys that copy shared state (session states); the rest (counters, locks) are this process's own. */
const SHARED_PREFIX = 'session:';

/** In-process cache for single-instance apps and as a stand-in while nothing else is configured. */
export class MemorySessionCache implements SessionCache {
  readonly kind = 'memory' as const;
  private readonly entries: BoundedMap<string>;

  /** @param maxEntries least recently used entries are dropped beyond this many, so memory stays bounded. */
  constructor(maxEntries = 100_000) {
    this.entries = new BoundedMap(maxEntries);
  }

  isAvailable(): boolean {
    return true;
  }

  /** The value, or `null` when absent or expired. */
  async get(key: string): Promise<string | null> {
    return this.entries.get(key) ?? null;
  }

  /** This cache is the store itself: a read never waits. */
  peek(key: string): string | undefined {
    return this.entries.get(key);
  }

  /** Stores `value` for `ttlMs`. */
  async set(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.entries.set(key, value, ttlMs);
    return true;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.entries.has(key)) return false;
    this.entries.set(key, value, ttlMs);
    return true;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async compareAndDelete(key: string, value: string): Promise<boolean> {
    if (this.entries.get(key) !== value) return false;
    this.entries.delete(key);
    return true;
  }

  async compareAndExpire(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.entries.get(key) !== value) return false;
    this.entries.set(key, value, ttlMs);
    return true;
  }

  async increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }> {
    const current = this.entries.get(key);
    if (current === undefined) {
      this.entries.set(key, '1', ttlMs);
      return { count: 1, ttlMs };
    }
    // A live counter keeps its window.
    const count = Number(current) + 1;
    this.entries.replace(key, String(count));
    return { count, ttlMs: this.entries.remainingTtlMs(key) };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** Session states are copies of PostgreSQL rows: forget them after a gap in revocation news. */
  dropLocalCopies(): void {
    for (const key of this.entries.keys()) {
      if (key.startsWith(SHARED_PREFIX)) this.entries.delete(key);
    }
  }
}
