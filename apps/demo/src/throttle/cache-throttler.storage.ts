import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { SessionCache } from 'nestjs-session-auth';

/**
 * Throttler counters in the session cache (shared by every instance through Redis), with the
 * throttler's in-memory storage as the fallback while the cache cannot answer.
 */
export class CacheThrottlerStorage implements ThrottlerStorage {
  private readonly fallback = new ThrottlerStorageService();

  constructor(private readonly cache: SessionCache) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    const counted = await this.cache.increment(`throttle:${name}:${key}`, ttl);
    if (!counted) return this.fallback.increment(key, ttl, limit, blockDuration, name);
    const timeToExpire = Math.max(1, Math.ceil(counted.ttlMs / 1000));
    const isBlocked = counted.count > limit;
    return {
      totalHits: counted.count,
      timeToExpire,
      isBlocked,
      timeToBlockExpire: isBlocked ? timeToExpire : 0,
    };
  }
}
