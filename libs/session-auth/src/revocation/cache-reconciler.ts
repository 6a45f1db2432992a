import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { SessionCache } from '../cache/session-cache.interface.js';
import { RevocationRepository } from '../persistence/revocation.repository.js';
import { ACTIVE_TTL_MS, SessionStateService } from '../cache/session-state.service.js';

/** Slack on top of an entry's life: a read that started just before a revocation, a slow write. */
const MARGIN_SECONDS = 60;
const BATCH = 1000;

/**
 * What a shared cache must catch up on after a gap before it answers again. Revocations that
 * happened while it was unreachable could not overwrite its "active" entries; any such entry is at
 * most ACTIVE_TTL old, so re-marking every session revoked within that window (from PostgreSQL,
 * the truth) leaves no stale "active" behind, however long the outage and however many keys. It
 * works key by key, so it is the same on a Redis Cluster.
 */
@Injectable()
export class CacheReconciler implements OnModuleInit {
  constructor(
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly repository: RevocationRepository,
    private readonly state: SessionStateService,
  ) {}

  onModuleInit(): void {
    this.cache.reconcileWith?.(() => this.markRecentRevocations().then(() => undefined));
  }

  /** Marks revoked in the cache every session revoked recently enough to have a stale entry. */
  async markRecentRevocations(): Promise<number> {
    const withinSeconds = ACTIVE_TTL_MS / 1000 + MARGIN_SECONDS;
    let afterId: string | undefined;
    let total = 0;
    for (;;) {
      const batch = await this.repository.findRecentlyRevoked(withinSeconds, afterId, BATCH);
      await this.state.markRevoked(batch);
      total += batch.length;
      if (batch.length < BATCH) return total;
      afterId = batch[batch.length - 1].id;
    }
  }
}
