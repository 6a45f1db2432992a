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

/**
 * Deletions kept for replay while Redis is away. Past this many the rest are dropped: revocations
 * do not depend on them (the reconciler re-marks them from PostgreSQL), and a stale copy that a
 * lost delete leaves behind (say, an older idle expiry) errs on the side of refusing.
 */
const MAX_PENDING_DELETES = 10_000;
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
  private readonly pendingDeletes = new Set<string>();
  private droppedDeletes = false;
  private reconciler?: () => Promise<void>;
  private recovering?: Promise<void>;
  private lastProbe = 0;
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
    // Even a client that is connected already is reconciled before the first read it answers.
    client.on('ready', () => void this.recover());
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
      if (results[i] === undefined) this.rememberDelete(key);
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

  dropLocalCopy(key: string): void {
    this.near.invalidate(key);
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
      if (this.state === 'down' || this.state === 'starting') void this.recover();
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
    if (this.subscribed) this.near.enable();
    this.logger.log(
      `${afterOutage ? 'Redis available again' : 'Redis connected'}; reconciled with PostgreSQL ` +
        `in ${Date.now() - started} ms, using the cache`,
    );
  }

  private rememberDelete(key: string): void {
    if (this.pendingDeletes.size < MAX_PENDING_DELETES) {
      this.pendingDeletes.add(key);
    } else if (!this.droppedDeletes) {
      this.droppedDeletes = true;
      this.logger.warn(
        `over ${MAX_PENDING_DELETES} cache deletes pending; the rest are dropped (revocations are reconciled from PostgreSQL)`,
      );
    }
  }

  private async replayDeletes(): Promise<void> {
    const keys = [...this.pendingDeletes];
    this.pendingDeletes.clear();
    this.droppedDeletes = false;
    await this.delete(...keys);
  }
}
