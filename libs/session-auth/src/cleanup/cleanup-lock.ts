import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SessionCache } from '../cache/session-cache.interface.js';
import { DirectConnection } from '../persistence/direct-connection.js';

/** A held lock: `release()` is safe to call once the work is done (or failed). */
export interface HeldLock {
  via: 'redis' | 'postgres';
  /**
   * Whether this holder still owns the lock, checked with the lock's store (and, for Redis,
   * extended). A holder that stalled past the TTL finds it taken: `false`, so it must stop. When
   * the store cannot tell, the answer is `false` too: stopping early is always safe.
   */
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

const LOCK_KEY = 'lock:cleanup';
/** Advisory lock id of the cleanup: any constant shared by every instance. */
const ADVISORY_KEY = 727_384_002;

/**
 * One cleanup at a time across instances. With Redis: SET NX PX with a random token, extended
 * while the run lasts and released by compare-and-delete, so only the holder can release it and a
 * crashed holder's lock expires after its TTL. With Redis unavailable: a PostgreSQL session-level
 * advisory lock, which the server drops by itself when the holder's connection dies. That lock is
 * taken on a direct connection (never through a transaction pooler, where it would stay behind on
 * a server connection that other clients then use), held for the whole run.
 */
@Injectable()
export class CleanupLock {
  private readonly logger = new Logger('SessionAuthCleanup');

  constructor(
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly direct: DirectConnection,
  ) {}

  async tryAcquire(ttlMs: number): Promise<HeldLock | undefined> {
    const token = randomBytes(16).toString('hex');
    const acquired = await this.cache.setIfAbsent(LOCK_KEY, token, ttlMs);
    if (acquired === false) return undefined;
    if (acquired === true) return this.redisLock(token, ttlMs);
    return this.advisoryLock();
  }

  private redisLock(token: string, ttlMs: number): HeldLock {
    let lost = false;
    const extend = async (): Promise<boolean> => {
      if (lost) return false;
      const held = await this.cache.compareAndExpire(LOCK_KEY, token, ttlMs);
      if (held === false) {
        lost = true;
        this.logger.warn('cleanup lock lost before the run finished');
      }
      return held === true;
    };
    const renew = setInterval(() => void extend(), Math.max(50, Math.floor(ttlMs / 3)));
    renew.unref();
    return {
      via: 'redis',
      stillHeld: extend,
      release: async () => {
        clearInterval(renew);
        await this.cache.compareAndDelete(LOCK_KEY, token);
      },
    };
  }

  private async advisoryLock(): Promise<HeldLock | undefined> {
    const client = await this.direct.connect();
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [
        ADVISORY_KEY,
      ]);
      if (!rows[0]?.locked) {
        client.release();
        return undefined;
      }
    } catch (error) {
      client.release(true);
      throw error;
    }
    return {
      via: 'postgres',
      // A session-level advisory lock lives as long as its connection: a live connection holds it.
      stillHeld: () =>
        client.query('SELECT 1').then(
          () => true,
          () => false,
        ),
      release: async () => {
        try {
          await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_KEY]);
          client.release();
        } catch {
          // Closing the connection ends the session, and the server drops the lock with it.
          client.release(true);
        }
      },
    };
  }
}
