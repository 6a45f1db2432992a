import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { NearCache } from './near-cache.js';
import { closeRedis, duplicateRedis } from './redis-connection.js';
import type { SessionCache } from './session-cache.interface.js';

const COMPARE_AND_DELETE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const COMPARE_AND_EXPIRE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const INCREMENT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { n, redis.call('PTTL', KEYS[1]) }`;

/** Deletions kept for replay while Redis is away; past this many, the whole prefix is swept instead. */
const MAX_PENDING_DELETES = 10_000;

/** Keys worth an in-process copy: read on every guarded request, changed rarely. */
const NEAR_CACHED_PREFIX = 'session:';

/**
 * The Redis adapter. Commands that fail or take longer than `commandTimeoutMs` answer `undefined`
 * so callers fall back to PostgreSQL; the outage is logged once and recovery once. Keys whose delete
 * failed during an outage are deleted when Redis returns, so another instance never reads a stale
 * "active" entry for a session revoked meanwhile.
 *
 * `session:*` entries are also kept in process (NearCache), so a guarded request usually makes no
 * network round trip: every change publishes the key on `<prefix>invalidate`, and each instance
 * drops its copy on the message. The copy is used only while that subscription is live.
 */
export class RedisSessionCache implements SessionCache, OnApplicationShutdown {
  readonly kind = 'redis' as const;
  private readonly logger = new Logger('SessionAuthCache');
  private state: 'starting' | 'up' | 'down' = 'starting';
  private readonly pendingDeletes = new Set<string>();
  private sweepOnRecovery = false;
  private readonly near = new NearCache();
  private readonly channel: string;
  private readonly subscriber?: Redis | Cluster;
  private subscribed = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefix: string,
    private readonly commandTimeoutMs = 1000,
  ) {
    this.channel = `${prefix}invalidate`;
    if (client.status === 'ready') this.state = 'up';
    client.on('ready', () => void this.onReady());
    client.on('error', (error: Error) => this.markDown(error));
    client.on('end', () => this.markDown(new Error('connection closed')));
    this.subscriber = this.subscribeToInvalidations();
  }

  async onApplicationShutdown(): Promise<void> {
    this.near.disable();
    if (this.subscriber) await closeRedis(this.subscriber);
  }

  isAvailable(): boolean {
    return this.state === 'up';
  }

  async get(key: string): Promise<string | null | undefined> {
    const nearCached = this.nearCached(key);
    if (nearCached) {
      const local = this.state === 'up' ? this.near.get(key) : undefined;
      if (local !== undefined) return local;
    }
    const generation = this.near.currentGeneration;
    const value = await this.run(() => this.client.get(this.prefix + key));
    if (nearCached && typeof value === 'string') this.near.store(key, value, generation);
    return value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<boolean> {
    const result = await this.run(() =>
      this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs))),
    );
    await this.invalidateEverywhere(key);
    return result === 'OK';
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    const generation = this.near.currentGeneration;
    const result = await this.run(() =>
      this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'),
    );
    if (result === 'OK' && this.nearCached(key)) this.near.store(key, value, generation);
    return result === undefined ? undefined : result === 'OK';
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // One DEL per key keeps this valid on a Cluster, where keys may live in different slots.
    const results = await Promise.all(
      keys.map((key) => this.run(() => this.client.del(this.prefix + key))),
    );
    keys.forEach((key, i) => {
      if (results[i] === undefined) this.rememberDelete(key);
    });
    await Promise.all(keys.map((key) => this.invalidateEverywhere(key)));
  }

  async compareAndDelete(key: string, value: string): Promise<boolean | undefined> {
    const result = await this.run(() =>
      this.client.eval(COMPARE_AND_DELETE, 1, this.prefix + key, value),
    );
    return result === undefined ? undefined : Number(result) === 1;
  }

  async compareAndExpire(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    const result = await this.run(() =>
      this.client.eval(COMPARE_AND_EXPIRE, 1, this.prefix + key, value, String(Math.ceil(ttlMs))),
    );
    return result === undefined ? undefined : Number(result) === 1;
  }

  async increment(
    key: string,
    ttlMs: number,
  ): Promise<{ count: number; ttlMs: number } | undefined> {
    const result = (await this.run(() =>
      this.client.eval(INCREMENT, 1, this.prefix + key, String(Math.ceil(ttlMs))),
    )) as [number, number] | undefined;
    return result && { count: Number(result[0]), ttlMs: Number(result[1]) };
  }

  dropLocalCopies(): void {
    this.near.clear();
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
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.commandTimeoutMs} ms`)),
          this.commandTimeoutMs,
        );
      });
      const result = await Promise.race([command(), timeout]);
      if (this.state !== 'up') void this.onReady();
      return result;
    } catch (error) {
      // A reply error (say, INCR on a non-number) is this command's problem, not an outage.
      if ((error as Error).name !== 'ReplyError') this.markDown(error as Error);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private nearCached(key: string): boolean {
    return key.startsWith(NEAR_CACHED_PREFIX);
  }

  /** Drops the local copy now and tells every other instance to drop theirs. */
  private async invalidateEverywhere(key: string): Promise<void> {
    if (!this.nearCached(key)) return;
    this.near.invalidate(key);
    await this.run(() => this.client.publish(this.channel, key));
  }

  /** A dedicated connection for the invalidation feed; the near cache runs only while it is subscribed. */
  private subscribeToInvalidations(): Redis | Cluster | undefined {
    if (typeof (this.client as Redis).duplicate !== 'function') return undefined;
    const subscriber = duplicateRedis(this.client, {
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    });
    subscriber.on('error', () => undefined); // the main client already reports the outage
    const lost = () => {
      this.subscribed = false;
      this.near.disable();
    };
    for (const event of ['close', 'end', 'reconnecting']) subscriber.on(event, lost);
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(() => {
        this.subscribed = true;
        if (this.state === 'up') this.near.enable();
      }, lost);
    });
    subscriber.on('message', (_channel: string, key: string) => this.near.invalidate(key));
    return subscriber;
  }

  private markDown(error: Error): void {
    this.near.disable();
    if (this.state === 'down') return;
    this.state = 'down';
    this.logger.warn(
      `Redis unavailable (${error.message}); falling back to PostgreSQL until it returns`,
    );
  }

  private async onReady(): Promise<void> {
    if (this.state === 'up') return;
    const recovering = this.state === 'down';
    this.state = 'up';
    this.logger.log(recovering ? 'Redis available again; using the cache' : 'Redis connected');
    if (this.subscribed) this.near.enable();
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
