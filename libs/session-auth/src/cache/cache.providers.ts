import type { Provider } from '@nestjs/common';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { MemorySessionCache } from './memory-session-cache.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RedisSessionCache } from './redis-session-cache.js';
import { SessionCache } from './session-cache.interface.js';

/** Picks the cache adapter once: Redis when configured, otherwise in-process (single instance). */
export const sessionCacheProvider: Provider = {
  provide: SessionCache,
  inject: [RedisConnection, SESSION_AUTH_RESOLVED_OPTIONS],
  useFactory: (redis: RedisConnection, options: ResolvedSessionAuthOptions): SessionCache =>
    redis.client
      ? new RedisSessionCache(redis.client, options.redisKeyPrefix)
      : new MemorySessionCache(),
};
