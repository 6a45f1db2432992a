import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { importOptionalPeer, lazyModule } from '../utils/optional-peer.js';
import { parseClusterUrl, REDIS_CLUSTER_SCHEME } from './redis-cluster-url.js';

/** Fail fast: no waiting queue, one retry, short timeouts, so an outage falls back to PostgreSQL at once. */
const FAIL_FAST: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
};

/**
 * The Redis client the library uses, if any. A URL gets a client tuned to fail fast; a
 * `redis+cluster://` URL gets an ioredis Cluster tuned the same way. Either is closed on shutdown.
 * A client passed in is used as it is and never closed: its owner closes it. `ioredis` is loaded
 * only when a URL is configured.
 */
export class RedisConnection implements OnApplicationShutdown {
  constructor(
    readonly client: Redis | Cluster | undefined,
    private readonly owned: boolean,
    /** The `redisKeyPrefix` option: every key the library writes starts with it. */
    readonly keyPrefix = '',
  ) {}

  static async open(options: ResolvedSessionAuthOptions): Promise<RedisConnection> {
    if (typeof options.redis !== 'string')
      return new RedisConnection(
        options.redis as Redis | Cluster | undefined,
        false,
        options.redisKeyPrefix,
      );
    const ioredis = await importOptionalPeer(
      'ioredis',
      'the redis option',
      lazyModule(
        () => require('ioredis'),
        () => import('ioredis'),
      ),
    );
    return new RedisConnection(connectRedis(ioredis, options.redis), true, options.redisKeyPrefix);
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

/** A client for `url` (`redis://` or `redis+cluster://`), tuned to fail fast. */
export function connectRedis(
  ioredis: { Redis: typeof Redis; Cluster: typeof Cluster },
  url: string,
): Redis | Cluster {
  return url.startsWith(REDIS_CLUSTER_SCHEME)
    ? connectCluster(ioredis.Cluster, url)
    : new ioredis.Redis(url, FAIL_FAST);
}

/**
 * A Cluster that fails fast like a single client: a command to a slot whose master is gone is
 * retried briefly while a replica takes over (retryDelayOnFailover), and the cache's own command
 * timeout sends the caller to PostgreSQL meanwhile.
 */
function connectCluster(ClusterClass: typeof Cluster, url: string): Cluster {
  const { seeds, username, password } = parseClusterUrl(url);
  return new ClusterClass(seeds, {
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    slotsRefreshTimeout: 1000,
    redisOptions: { ...FAIL_FAST, username, password },
  });
}

/** A second connection like `client` (a Cluster takes its nodes first, then the options). */
export function duplicateRedis(client: Redis | Cluster, options: RedisOptions): Redis | Cluster {
  if ('isCluster' in client && client.isCluster) {
    const cluster = client as Cluster;
    // The Cluster queues (or refuses) commands itself until it knows the slots: the same choice.
    return cluster.duplicate([], {
      enableOfflineQueue: options.enableOfflineQueue ?? true,
      redisOptions: { ...cluster.options.redisOptions, ...options },
    });
  }
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
