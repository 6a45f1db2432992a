import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { NearCache } from './near-cache.js';
import { InvalidationFeed } from './invalidation-feed.js';
import { PendingDeletes } from './pending-deletes.js';
import { COMPARE_AND_DELETE, COMPARE_AND_EXPIRE } from './redis-scripts.js';
import { withinMs } from '../redis/within-ms.js';
import type { SessionCache } from './session-cache.interface.js';

/** While Redis is not in use, at most one probe per this many ms decides whether it is back. */
const PROBE_INTERVAL_MS = 500;

/** Keys worth an in-process copy: read on every guarded request, changed rarely. */
const NEAR_CACHED_PREFIX = 'session:';

/**
 * The Redis adapter. Commands that fail or take longer than `commandTimeoutMs` answer `undefined`
 * so callers fall back to PostgreSQL; the outage is logged once and recovery once.
 *
 * Redis may keep its data through an outage (a partition, a paused server), including "active"
 * entries of sessions revoked meanwhile. So after any gap (the first connection too) the cache
 * answers no read until it has reconciled: it replays the deletes it could not send, then runs the
 * reconciler (which re-marks from PostgreSQL every session revoked within the life of an entry),
 * and only then serves from Redis again. Until then every read falls through to PostgreSQL.
 *
 * `session:*` entries are also kept in process (NearCache), so a guarded request usually makes no
 * network round trip: every change publishes the key on `<prefix>invalidate`, and each instance
 * drops its copy on the message. The copy is used only while that subscription is live.
 */
export class RedisSessionCache implements SessionCache, OnApplicationShutdown {
  readonly kind = 'redis' as const;
  private readonly logger = new Logger('SessionAuthCache');
  private state: 'starting' | 'reconciling' | 'up' | 'down' = 'starting';
  private readonly pendingDeletes = new PendingDeletes(this.logger);
  private reconciler?: () => Promise<void>;
  private recovering?: Promise<void>;
  private lastProbe = 0;
  private readonly near = new NearCache();
  private readonly channel: string;
  private readonly feed: InvalidationFeed;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly prefix: string,
    private readonly commandTimeoutMs = 1000,
  ) {
    this.channel = `${prefix}invalidate`;
    // Even a client that is connected already is reconciled before the first read it answers.
    client.on('ready', () => void this.recover());
    client.on('error', (error: Error) => this.markDown(error));
    client.on('end', () => this.markDown(new Error('connection closed')));
    this.feed = new InvalidationFeed(this.channel, {
      onKey: (key) => this.near.invalidate(key),
      onLive: () => {
        if (this.state === 'up') this.near.enable();
      },
      onLost: () => this.near.disable(),
    });
    this.feed.start(client);
  }

  async onApplicationShutdown(): Promise<void> {
    this.near.disable();
    await this.feed.close();
  }

  isAvailable(): boolean {
    return this.state === 'up';
  }

  reconcileWith(reconcile: () => Promise<void>): void {
    this.reconciler = reconcile;
    // Connected before the reconciler was known: reconcile now, reading PostgreSQL meanwhile.
    if (this.state === 'up') {
      this.state = 'starting';
      void this.recover();
    }
  }

  async get(key: string): Promise<string | null | undefined> {
    // Not reconciled since the last gap: what Redis holds may predate revocations.
    if (this.state !== 'up') {
      this.probe();
      return undefined;
    }
    const local = this.peek(key);
    if (local !== undefined) return local;
    const nearCached = this.nearCached(key);
    const generation = this.near.currentGeneration;
    const value = await this.run(() => this.client.get(this.prefix + key));
    // An outage that began while this read was out: the answer may be one to distrust already.
    if (this.state !== 'up') return undefined;
    if (nearCached && typeof value === 'string') this.near.store(key, value, generation);
    return value;
  }

  /** The near cache's copy, while reconciled and subscribed (the near cache is off otherwise). */
  peek(key: string): string | undefined {
    if (this.state !== 'up' || !this.nearCached(key)) return undefined;
    return this.near.get(key);
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
      if (results[i] === undefined) this.pendingDeletes.remember(key);
    });
    await Promise.all(keys.map((key) => this.invalidateEverywhere(key)));
  }

  async compareAndDelete(key: string, value: string): Promise<boolean | undefined> {
    const result = await this.run(() =>
      this.client.eval(COMPARE_AND_DELETE, 1, this.prefix + key, value),
    );
    if (result === undefined) return undefined;
    const deleted = Number(result) === 1;
    if (deleted) await this.invalidateEverywhere(key);
    return deleted;
  }

  async compareAndExpire(key: string, value: string, ttlMs: number): Promise<boolean | undefined> {
    const result = await this.run(() =>
      this.client.eval(COMPARE_AND_EXPIRE, 1, this.prefix + key, value, String(Math.ceil(ttlMs))),
    );
    return result === undefined ? undefined : Number(result) === 1;
  }

  dropAllLocalCopies(): void {
    this.near.clear();
  }

  dropLocalCopy(key: string): void {
    this.near.invalidate(key);
  }

  async ping(): Promise<boolean> {
    return (await this.run(() => this.client.ping())) !== undefined;
  }

  private async run<T>(command: () => Promise<T>): Promise<T | undefined> {
    // While Redis is away, answer at once instead of waiting for each command to time out.
    if (this.state !== 'up' && this.client.status !== 'ready') return undefined;
    try {
      const result = await withinMs(command, this.commandTimeoutMs);
      if (this.state === 'down' || this.state === 'starting') void this.recover();
      return result;
    } catch (error) {
      // A reply error (say, INCR on a non-number) is this command's problem, not an outage.
      if ((error as Error).name !== 'ReplyError') this.markDown(error as Error);
      return undefined;
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

  private markDown(error: Error): void {
    this.near.disable();
    if (this.state === 'down') return;
    this.state = 'down';
    this.logger.warn(
      `Redis unavailable (${error.message}); falling back to PostgreSQL until it returns`,
    );
  }

  /** While not in use: now and then, a PING whose answer starts the recovery. */
  private probe(): void {
    if (this.recovering || Date.now() - this.lastProbe < PROBE_INTERVAL_MS) return;
    this.lastProbe = Date.now();
    void this.run(() => this.client.ping());
  }

  /** Redis answers again (or for the first time): reconcile, then serve. One recovery at a time. */
  private recover(): Promise<void> {
    this.recovering ??= this.reconcile().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async reconcile(): Promise<void> {
    if (this.state === 'up' || this.state === 'reconciling') return;
    const afterOutage = this.state === 'down';
    const started = Date.now();
    this.state = 'reconciling';
    try {
      await this.replayDeletes();
      // Run the reconciler, and again if another one was registered while it ran.
      let done: (() => Promise<void>) | undefined;
      while (this.reconciler !== done) {
        done = this.reconciler;
        await done?.();
      }
    } catch (error) {
      if (this.state === 'reconciling') this.state = 'down';
      this.logger.warn(
        `cannot reconcile the cache (${(error as Error).message}); reading PostgreSQL until it can`,
      );
      return;
    }
    // A command failed meanwhile: the outage goes on, and the next answer starts over.
    if (this.state !== 'reconciling') return;
    this.state = 'up';
    if (this.feed.isLive) this.near.enable();
    this.logger.log(
      `${afterOutage ? 'Redis available again' : 'Redis connected'}; reconciled with PostgreSQL ` +
        `in ${Date.now() - started} ms, using the cache`,
    );
  }

  private async replayDeletes(): Promise<void> {
    await this.delete(...this.pendingDeletes.take());
  }
}
