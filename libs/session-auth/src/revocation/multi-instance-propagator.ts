import { Injectable } from '@nestjs/common';
import { SessionStateService } from '../cache/session-state.service.js';
import { RevocationRepository } from '../persistence/revocation.repository.js';
import type { RevokedSession } from '../persistence/session.repository.js';
import { RevocationBarrier } from './revocation-barrier.js';
import { RevocationFeed } from './revocation-feed.js';
import type { RevocationPropagator, RevokedElsewhere } from './revocation-propagator.js';

/**
 * Revocation across instances: the cache is marked, then the RevocationBarrier announces the
 * sessions (Redis pub/sub, or PostgreSQL NOTIFY) and waits for every present instance's signed
 * acknowledgement. The RevocationFeed hears every revocation through PostgreSQL, re-reads it and
 * applies it here (and decides when this process's copies may be trusted); the CacheReconciler
 * catches Redis up after a gap.
 */
@Injectable()
export class MultiInstancePropagator implements RevocationPropagator {
  constructor(
    private readonly state: SessionStateService,
    private readonly repository: RevocationRepository,
    private readonly barrier: RevocationBarrier,
    private readonly feed: RevocationFeed,
  ) {}

  async propagate(sessions: RevokedSession[]): Promise<void> {
    if (sessions.length === 0) return;
    await this.state.markRevoked(sessions);
    await this.barrier.confirm(sessions.map((s) => s.id));
  }

  async reaffirm(sessionIds: string[], userId: string): Promise<void> {
    const revoked = (await this.repository.findRevoked(sessionIds)).filter(
      (s) => s.userId === userId,
    );
    // The hint first: an instance acknowledges an announcement only after the hints before it.
    await this.repository.notifyRevoked(revoked.map((s) => s.id));
    await this.propagate(revoked);
  }

  onRevokedElsewhere(listener: RevokedElsewhere): void {
    this.feed.onRevokedElsewhere(listener);
  }
}
