import { type ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import type { DemoRedis } from '../redis/demo-redis.js';

/**
 * Throttler counters in Redis (shared by every instance), with the throttler's in-memory storage
 * as the fallback without Redis or while it cannot answer.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly fallback = new ThrottlerStorageService();

  constructor(private readonly redis: DemoRedis) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    name: string,
  ): Promise<ThrottlerStorageRecord> {
    const counted = await this.redis.countHit(`throttle:${name}:${key}`, ttl);
    if (!counted) return this.fallback.increment(key, ttl, limit, blockDuration, name);
    const timeToExpire = Math.max(1, Math.ceil(counted.msLeft / 1000));
    const isBlocked = counted.hits > limit;
    return {
      totalHits: counted.hits,
      timeToExpire,
      isBlocked,
      timeToBlockExpire: isBlocked ? timeToExpire : 0,
    };
  }
}
