import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../session-auth.options.js';

/**
 * The Redis client the library uses, if any. A URL gets a client tuned to fail fast (no offline
 * queue, one retry, short timeouts) so an outage falls back to PostgreSQL at once; that client is
 * closed on shutdown. A client passed in is used as it is and never closed: its owner closes it.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client: Redis | Cluster | undefined;
  private readonly owned: boolean;

  constructor(@Inject(SESSION_AUTH_RESOLVED_OPTIONS) options: ResolvedSessionAuthOptions) {
    if (typeof options.redis === 'string') {
      this.client = new Redis(options.redis, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      });
      this.owned = true;
    } else {
      this.client = options.redis;
      this.owned = false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owned && this.client) await closeRedis(this.client);
  }
}

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
