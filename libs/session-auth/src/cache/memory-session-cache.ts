import { BoundedMap } from '../utils/bounded-map.js';
import type { SessionCache } from './session-cache.interface.js';

/** Keys that copy shared state (session states); the rest (counters, locks) are this process's own. */
const SHARED_PREFIX = 'session:';

/**
 * In-process cache for apps without Redis. Its session states are copies of PostgreSQL rows that
 * only the revocation feed keeps honest when there are several instances: while that feed is not
 * live (trustLocalCopies(false)) they do not answer, and reads go to PostgreSQL.
 */
export class MemorySessionCache implements SessionCache {
  readonly kind = 'memory' as const;
  private readonly entries: BoundedMap<string>;
  private trusted = true;
  /** Shared keys whose copy may not answer now (a revocation named them; not yet confirmed). */
  private readonly held = new Map<string, number>();

  /** @param maxEntries least recently used entries are dropped beyond this many, so memory stays bounded. */
  constructor(maxEntries = 100_000) {
    this.entries = new BoundedMap(maxEntries);
  }

  isAvailable(): boolean {
    return true;
  }

  /** The value, `null` when absent or expired, `undefined` for a copy that may not be trusted now. */
  async get(key: string): Promise<string | null | undefined> {
    if (!this.answers(key)) return undefined;
    return this.entries.get(key) ?? null;
  }

  /** This cache is the store itself: a read never waits. */
  peek(key: string): string | undefined {
    return this.answers(key) ? this.entries.get(key) : undefined;
  }

  /** Stores `value` for `ttlMs`. */
  async set(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.entries.set(key, value, ttlMs);
    return true;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    if (!this.answers(key)) return undefined;
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

  async ping(): Promise<boolean> {
    return true;
  }

  trustLocalCopies(trusted: boolean): void {
    this.trusted = trusted;
  }

  holdLocalCopy(key: string): () => void {
    this.entries.delete(key);
    this.held.set(key, (this.held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }

  /** Session states are copies of PostgreSQL rows: forget them after a gap in revocation news. */
  dropAllLocalCopies(): void {
    for (const key of this.entries.keys()) {
      if (key.startsWith(SHARED_PREFIX)) this.entries.delete(key);
    }
  }

  /** Whether `key` may be answered from here now (counters and locks are this process's own). */
  private answers(key: string): boolean {
    if (!key.startsWith(SHARED_PREFIX)) return true;
    return this.trusted && !this.held.has(key);
  }
}
