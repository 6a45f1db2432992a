import { Inject, Injectable } from '@nestjs/common';
import { SessionCache } from './session-cache.interface.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { type Clock, DatabaseClock } from '../clock/database-clock.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { SessionRepository } from '../persistence/session.repository.js';
import { sessionEnd } from '../persistence/session-lifetime.js';

/** What the guard needs to know about a session, cached under `session:<id>`. */
export interface SessionState {
  userId: string;
  revoked: boolean;
  /** Epoch ms (database clock) when the session ends by idle or absolute lifetime, whichever is first. */
  expiresAt: number;
  /** Epoch ms (database clock) of the last password sign-in. */
  authenticatedAt: number;
}

/** The longest a cached "active" state lives: a stale one can only be about a revocation this recent. */
export const ACTIVE_TTL_MS = 5 * 60_000;
const REVOKED_TTL_MS = 60 * 60_000;

/**
 * Reads session state through the cache and keeps the cache honest. The race rules: a reader
 * fills a missing entry with SET NX (never overwriting), and a revocation overwrites it with
 * "revoked" after its commit, so a reader that saw the row just before a revocation can never put
 * "active" back over "revoked". A rotation only moves the session's end later, so it leaves the
 * cache alone: a cached end is a lower bound, and one that has passed sends the read to the row.
 * A password sign-in (`authenticatedAt`) deletes the entry, unless it already says "revoked".
 * Times in the state are on the database's clock.
 */
@Injectable()
export class SessionStateService {
  private takeDrops?: () => readonly string[] | 'all';

  constructor(
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly repository: SessionRepository,
    private readonly metrics: SessionMetrics,
    @Inject(DatabaseClock) private readonly clock: Clock,
  ) {}

  /** Whether a state allows requests now (on the database's clock). */
  isLive(state: SessionState | undefined): state is SessionState {
    return isLive(state, this.clock.now());
  }

  /**
   * Sessions whose local copies another thread (the revocation thread) has told this process to
   * forget: read, and forgotten, before any local copy answers.
   */
  followDrops(take: () => readonly string[] | 'all'): void {
    this.takeDrops = take;
  }

  /** The thread stopped: ids it handed over may be unread, so every local copy is forgotten. */
  stopFollowingDrops(): void {
    this.takeDrops = undefined;
    this.cache.dropAllLocalCopies?.();
  }

  private applyDrops(): void {
    const drops = this.takeDrops?.();
    if (drops === undefined || drops.length === 0) return;
    if (drops === 'all') this.cache.dropAllLocalCopies?.();
    else for (const id of drops) this.cache.dropLocalCopy?.(key(id));
  }

  /** The state from this process's own trusted copy, if any; `undefined` means "ask {@link get}". */
  peek(sessionId: string): SessionState | undefined {
    this.applyDrops();
    const local = this.cache.peek?.(key(sessionId));
    if (local === undefined) return undefined;
    const state = JSON.parse(local) as SessionState;
    if (!this.decides(state)) return undefined; // get() counts this look-up
    this.metrics.cacheLookup('hit').inc();
    return state;
  }

  /**
   * Whether a cached state may answer without the row. A rotation extends lifetimes without
   * touching the cache, so a cached end that has passed may be stale: the row decides. (Redis
   * entries never outlive their end; near copies may.)
   */
  private decides(state: SessionState): boolean {
    return state.revoked || state.expiresAt > this.clock.now();
  }

  /** The session's state, or `undefined` when no such session exists. */
  async get(sessionId: string): Promise<SessionState | undefined> {
    this.applyDrops();
    const cached = await this.cache.get(key(sessionId));
    this.metrics.cacheLookup(cached ? 'hit' : cached === null ? 'miss' : 'error').inc();
    const hit = cached ? (JSON.parse(cached) as SessionState) : undefined;
    if (hit && this.decides(hit)) return hit;
    const row = await this.repository.findById(sessionId);
    if (!row) return undefined;
    const state = toState(row);
    if (cached === null || hit) {
      const ttl = state.revoked
        ? REVOKED_TTL_MS
        : Math.min(ACTIVE_TTL_MS, state.expiresAt - this.clock.now());
      if (ttl > 0) await this.cache.setIfAbsent(key(sessionId), JSON.stringify(state), ttl);
    }
    return state;
  }

  /** After a revocation committed: mark the sessions revoked in the cache for every instance. */
  async markRevoked(sessions: { id: string; userId: string }[]): Promise<void> {
    await Promise.all(
      sessions.map(async ({ id, userId }) => {
        const state: SessionState = { userId, revoked: true, expiresAt: 0, authenticatedAt: 0 };
        const written = await this.cache.set(key(id), JSON.stringify(state), REVOKED_TTL_MS);
        // Could not write: delete instead, which the cache replays once the store is back.
        if (!written) await this.cache.delete(key(id));
      }),
    );
  }

  /**
   * Another instance revoked these sessions and marked them in the shared cache: forget this
   * process's own copies of their states, so the next read here sees the mark.
   */
  dropLocalStates(sessionIds: string[]): void {
    for (const id of sessionIds) this.cache.dropLocalCopy?.(key(id));
  }

  /**
   * Sessions a revocation hint named, not yet confirmed by PostgreSQL: this process's copies of
   * their states are dropped and none is kept (reads go to the store or the row) until the
   * returned function is called; a cache without that ability only drops them.
   */
  holdLocalStates(sessionIds: string[]): () => void {
    const releases = sessionIds.map((id) => {
      if (this.cache.holdLocalCopy) return this.cache.holdLocalCopy(key(id));
      this.cache.dropLocalCopy?.(key(id));
      return () => undefined;
    });
    return () => releases.forEach((release) => release());
  }

  /**
   * After a fresh sign-in committed: drop the cached copy so the next read sees it, unless it
   * already says "revoked" (a revocation that committed after the sign-in wrote it).
   */
  async forget(sessionId: string): Promise<void> {
    this.applyDrops();
    const cached = await this.cache.get(key(sessionId));
    if (cached === null) return;
    // The store does not answer: a plain delete, which it replays before answering again.
    if (cached === undefined) return this.cache.delete(key(sessionId));
    if ((JSON.parse(cached) as SessionState).revoked) return;
    await this.cache.compareAndDelete(key(sessionId), cached);
  }
}

function key(sessionId: string): string {
  return `session:${sessionId}`;
}

export function toState(row: SessionEntity): SessionState {
  return {
    userId: row.userId,
    revoked: row.revokedAt !== null,
    expiresAt: sessionEnd(row),
    authenticatedAt: row.authenticatedAt.getTime(),
  };
}

/** Whether a state allows requests at `now` (epoch ms on the database's clock). */
export function isLive(state: SessionState | undefined, now: number): state is SessionState {
  return !!state && !state.revoked && state.expiresAt > now;
}
