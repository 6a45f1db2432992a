import { MemorySessionCache } from '../cache/memory-session-cache.js';
import type { SessionCache } from '../cache/session-cache.interface.js';

/**
 * A SessionCache for unit specs: the in-memory adapter, plus a switch that makes it behave like a
 * store that does not answer (every method resolves as the port's "unavailable" value), and a log
 * of the calls it received.
 */
export class FakeSessionCache implements SessionCache {
  readonly kind = 'memory' as const;
  /** `false` makes every method answer like an unreachable store. */
  available = true;
  /** Every call, in order: `[method, ...args]`. */
  readonly calls: [string, ...unknown[]][] = [];
  private readonly store = new MemorySessionCache();

  isAvailable(): boolean {
    return this.available;
  }

  async get(key: string): Promise<string | null | undefined> {
    this.calls.push(['get', key]);
    return this.available ? this.store.get(key) : undefined;
  }

  peek(key: string): string | undefined {
    this.calls.push(['peek', key]);
    return this.available ? this.store.peek(key) : undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.calls.push(['set', key, value, ttlMs]);
    return this.available ? this.store.set(key, value, ttlMs) : false;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    this.calls.push(['setIfAbsent', key, value, ttlMs]);
    return this.available ? this.store.setIfAbsent(key, value, ttlMs) : undefined;
  }

  async delete(...keys: string[]): Promise<void> {
    this.calls.push(['delete', ...keys]);
    if (this.available) await this.store.delete(...keys);
  }

  async compareAndDelete(key: string, value: string): Promise<boolean | undefined> {
    this.calls.push(['compareAndDelete', key, value]);
    return this.available ? this.store.compareAndDelete(key, value) : undefined;
  }

  async compareAndExpire(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    this.calls.push(['compareAndExpire', key, value, ttlMs]);
    return this.available ? this.store.compareAndExpire(key, value, ttlMs) : undefined;
  }

  async ping(): Promise<boolean> {
    this.calls.push(['ping']);
    return this.available;
  }

  /** The names of the methods called so far, in order. */
  methodsCalled(): string[] {
    return this.calls.map(([method]) => method);
  }
}
