import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../session-auth.options.js';
import { importOptionalPeer } from '../utils/optional-peer.js';

/**
 * The Redis client the library uses, if any. A URL gets a client tuned to fail fast (no offline
 * queue, one retry, short timeouts) so an outage falls back to PostgreSQL at once; that client is
 * closed on shutdown. A client passed in is used as it is and never closed: its owner closes it.
 * `ioredis` is loaded only when a URL is configured.
 */
export class RedisConnection implements OnApplicationShutdown {
  constructor(
    readonly client: Redis | Cluster | undefined,
    private readonly owned: boolean,
  ) {}

  static async open(options: ResolvedSessionAuthOptions): Promise<RedisConnection> {
    if (typeof options.redis !== 'string')
      return new RedisConnection(options.redis as Redis | Cluster | undefined, false);
    const { Redis } = await importOptionalPeer(
      'ioredis',
      'the redis option',
      () => import('ioredis'),
    );
    const client = new Redis(options.redis, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    return new RedisConnection(client, true);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owned && this.client) await closeRedis(this.client);
  }
}

export const redisConnectionProvider: Provider = {
  provide: RedisConnection,
  inject: [SESSION_AUTH_RESOLVED_OPTIONS],
  useFactory: (options: ResolvedSessionAuthOptions) => RedisConnection.open(options),
};

/** A second connection like `client` (a Cluster takes its nodes first, then the options). */
export function duplicateRedis(client: Redis | Cluster, options: RedisOptions): Redis | Cluster {
  if ('isCluster' in client && client.isCluster)
    return (client as Cluster).duplicate([], { redisOptions: options });
  return (client as Redis).duplicate(options);
}

/** QUIT, but never wait more than `timeoutMs` for a server that does not answer: then drop the socket. */
export async function closeRedis(client: Redis | Cluster, timeoutMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([client.quit().catch(() => undefined), timeout]);
  clearTimeout(timer);
  client.disconnect();
}
