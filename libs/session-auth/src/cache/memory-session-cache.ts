import type { SessionCache } from './session-cache.interface.js';

/** Keys that copy shared state (session states); the rest (counters, locks) are this process's own. */
const SHARED_PREFIX = 'session:';

interface Entry {
  value: string;
  expiresAt: number;
}

/** In-process cache for single-instance apps and as a stand-in while nothing else is configured. */
export class MemorySessionCache implements SessionCache {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();

  /** @param maxEntries oldest entries are dropped beyond this many, so memory stays bounded. */
  constructor(private readonly maxEntries = 100_000) {}

  isAvailable(): boolean {
    return true;
  }

  /** The value, or `null` when absent or expired. */
  async get(key: string): Promise<string | null> {
    return this.read(key)?.value ?? null;
  }

  /** This cache is the store itself: a read never waits. */
  peek(key: string): string | undefined {
    return this.read(key)?.value;
  }

  /** Stores `value` for `ttlMs`. */
  async set(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.write(key, value, ttlMs);
    return true;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.read(key)) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  async delete(...keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async compareAndDelete(key: string, value: string): Promise<boolean> {
    if (this.read(key)?.value !== value) return false;
    this.entries.delete(key);
    return true;
  }

  async compareAndExpire(key: string, value: string, ttlMs: number): Promise<boolean> {
    const entry = this.read(key);
    if (entry?.value !== value) return false;
    entry.expiresAt = Date.now() + ttlMs;
    return true;
  }

  async increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }> {
    const entry = this.read(key);
    if (!entry) {
      this.write(key, '1', ttlMs);
      return { count: 1, ttlMs };
    }
    entry.value = String(Number(entry.value) + 1);
    return { count: Number(entry.value), ttlMs: entry.expiresAt - Date.now() };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** Session states are copies of PostgreSQL rows: forget them after a gap in revocation news. */
  dropLocalCopies(): void {
    for (const key of [...this.entries.keys()]) {
      if (key.startsWith(SHARED_PREFIX)) this.entries.delete(key);
    }
  }

  private read(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private write(key: string, value: string, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
