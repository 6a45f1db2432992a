import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { SessionCache } from './session-cache.interface.js';

const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const COMPARE_AND_EXPIRE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const INCREMENT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { n, redis.call('PTTL', KEYS[1]) }`;

/** Deletions kept for replay while Redis is away; past this many, the whole prefix is swept instead. */
const MAX_PENDING_DELETES = 10_000;

/**
 * The Redis adapter. Commands that fail or take longer than `commandTimeoutMs` answer `undefined`
 * so callers fall back to PostgreSQL; the outage is logged once and recovery once. Keys whose delete
 * failed during an outage are deleted when Redis returns, so another instance never reads a stale
 * "active" entry for a session revoked meanwhile.
 */
export class RedisSessionCache implements SessionCache {
  readonly kind = 'redis' as const;
  private readonly logger = new Logger('SessionAuthCache');
  private state: 'starting' | 'up' | 'down' = 'starting';
  private readonly pendingDeletes = new Set<string>();
  private sweepOnRecovery = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefix: string,
    private readonly commandTimeoutMs = 1000,
  ) {
    if (client.status === 'ready') this.state = 'up';
    client.on('ready', () => void this.onReady());
    client.on('error', (error: Error) => this.markDown(error));
    client.on('end', () => this.markDown(new Error('connection closed')));
  }

  isAvailable(): boolean {
    return this.state === 'up';
  }

  get(key: string): Promise<string | null | undefined> {
    return this.run(() => this.client.get(this.prefix + key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.run(() => this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs))))) === 'OK';
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    const result = await this.run(() =>
      this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
    );
    return result === undefined ? undefined : result === 'OK';
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // One DEL per key keeps this valid on a Cluster, where keys may live in different slots.
    const results = await Promise.all(keys.map((key) => this.run(() => this.client.del(this.prefix + key))));
    keys.forEach((key, i) => {
      if (results[i] === undefined) this.rememberDelete(key);
    });
  }

  async compareAndDelete(key: string, value: string): Promise<boolean | undefined> {
    const result = await this.run(() => this.client.eval(COMPARE_AND_DELETE, 1, this.prefix + key, value));
    return result === undefined ? undefined : Number(result) === 1;
  }

  async compareAndExpire(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    const result = await this.run(() =>
      this.client.eval(COMPARE_AND_EXPIRE, 1, this.prefix + key, value, String(Math.ceil(ttlMs))),
    );
    return result === undefined ? undefined : Number(result) === 1;
  }

  async increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number } | undefined> {
    const result = (await this.run(() =>
      this.client.eval(INCREMENT, 1, this.prefix + key, String(Math.ceil(ttlMs))),
    )) as [number, number] | undefined;
    return result && { count: Number(result[0]), ttlMs: Number(result[1]) };
  }

  async ping(): Promise<boolean> {
    return (await this.run(() => this.client.ping())) !== undefined;
  }

  private async run<T>(command: () => Promise<T>): Promise<T | undefined> {
    // While Redis is away, answer at once instead of waiting for each command to time out.
    if (this.state !== 'up' && this.client.status !== 'ready') return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.commandTimeoutMs} ms`)), this.commandTimeoutMs);
      });
      const result = await Promise.race([command(), timeout]);
      if (this.state !== 'up') void this.onReady();
      return result;
    } catch (error) {
      this.markDown(error as Error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private markDown(error: Error): void {
    if (this.state === 'down') return;
    this.state = 'down';
    this.logger.warn(`Redis unavailable (${error.message}); falling back to PostgreSQL until it returns`);
  }

  private async onReady(): Promise<void> {
    if (this.state === 'up') return;
    const recovering = this.state === 'down';
    this.state = 'up';
    this.logger.log(recovering ? 'Redis available again; using the cache' : 'Redis connected');
    await this.replayDeletes();
  }

  private rememberDelete(key: string): void {
    if (this.pendingDeletes.size >= MAX_PENDING_DELETES) {
      this.sweepOnRecovery = true;
      this.pendingDeletes.clear();
      return;
    }
    if (!this.sweepOnRecovery) this.pendingDeletes.add(key);
  }

  private async replayDeletes(): Promise<void> {
    if (this.sweepOnRecovery) {
      this.sweepOnRecovery = false;
      await this.sweep('session:*');
    }
    const keys = [...this.pendingDeletes];
    this.pendingDeletes.clear();
    await this.delete(...keys);
  }

  /** Deletes every key under the prefix matching `pattern` (single-node clients only). */
  private async sweep(pattern: string): Promise<void> {
    if (!('scanStream' in this.client)) return;
    const stream = (this.client as Redis).scanStream({ match: this.prefix + pattern, count: 500 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length > 0) await this.run(() => (this.client as Redis).unlink(...keys));
    }
  }
}
