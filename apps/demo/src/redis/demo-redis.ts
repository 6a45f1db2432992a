import { type DynamicModule, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Commands fail at once while Redis is away (the callers fall back), and retry the connection. */
const NO_WAITING: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt) => Math.min(attempt * 250, 2000),
};

/** How long the demo waits for one Redis answer before it counts Redis as down. */
const ANSWER_WITHIN_MS = 1000;

/** INCR with the window set by the first hit; answers the count and the ms left. One key: fine on a Cluster. */
const COUNT_HIT = `local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { hits, redis.call('PTTL', KEYS[1]) }`;

/**
 * The demo's own Redis connection, beside the library's: rate-limit counters shared by every
 * instance and the Redis line of `/health`. Without REDIS_URL there is none (single instance).
 */
export class DemoRedis implements OnApplicationShutdown {
  private constructor(
    private readonly client: Redis | Cluster | undefined,
    private readonly prefix: string,
  ) {}

  /** `redis://…`, or `redis+cluster://host:port,host:port` (REDIS_CLUSTER_NODES). */
  static connect(url: string | undefined, prefix: string): DemoRedis {
    if (!url) return new DemoRedis(undefined, prefix);
    const client = url.startsWith('redis+cluster://')
      ? new Cluster(
          url
            .slice('redis+cluster://'.length)
            .split(',')
            .map((seed) => ({ host: seed.split(':')[0], port: Number(seed.split(':')[1]) })),
          { enableOfflineQueue: false, redisOptions: NO_WAITING },
        )
      : new Redis(url, NO_WAITING);
    client.on('error', () => undefined); // the library logs the outage; /health reports it
    return new DemoRedis(client, prefix);
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  /** Whether Redis answers now; `true` without Redis (nothing to be down). */
  async ping(): Promise<boolean> {
    if (!this.client) return true;
    return (await this.answer(() => this.client!.ping())) !== undefined;
  }

  /** Counts a hit on `key` in a window of `windowMs`; `undefined` without Redis or while it is down. */
  async countHit(
    key: string,
    windowMs: number,
  ): Promise<{ hits: number; msLeft: number } | undefined> {
    const client = this.client;
    if (!client) return undefined;
    const reply = (await this.answer(() =>
      client.eval(COUNT_HIT, 1, this.prefix + key, String(Math.ceil(windowMs))),
    )) as [number, number] | undefined;
    return reply && { hits: Number(reply[0]), msLeft: Number(reply[1]) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.quit().catch(() => this.client?.disconnect());
  }

  private async answer<T>(command: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ANSWER_WITHIN_MS);
    });
    try {
      return await Promise.race([command(), late]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Provides the one DemoRedis of the app (import it wherever DemoRedis is injected). */
export function demoRedisModule(url: string | undefined, prefix: string): DynamicModule {
  return {
    module: DemoRedisModule,
    providers: [{ provide: DemoRedis, useFactory: () => DemoRedis.connect(url, prefix) }],
    exports: [DemoRedis],
  };
}

@Module({})
class DemoRedisModule {}
