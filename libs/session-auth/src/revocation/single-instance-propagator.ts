import { Injectable } from '@nestjs/common';
import { SessionStateService } from '../cache/session-state.service.js';
import { RevocationRepository } from '../persistence/revocation.repository.js';
import type { RevokedSession } from '../persistence/session.repository.js';
import type { RevocationPropagator } from './revocation-propagator.js';

/**
 * Revocation in one process (an embedded PostgreSQL with a single connection: no other process can
 * share it): marking the cache is all there is; nobody else to tell or to hear from.
 */
@Injectable()
export class SingleInstancePropagator implements RevocationPropagator {
  constructor(
    private readonly state: SessionStateService,
    private readonly repository: RevocationRepository,
  ) {}

  async propagate(sessions: RevokedSession[]): Promise<void> {
    await this.state.markRevoked(sessions);
  }

  async reaffirm(sessionIds: string[], userId: string): Promise<void> {
    const revoked = await this.repository.findRevoked(sessionIds);
    await this.propagate(revoked.filter((s) => s.userId === userId));
  }

  onRevokedElsewhere(): void {
    // No other instance.
  }
}
