import { Injectable, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SessionEvents, type SessionTerminatedEvent } from '../events/session-events.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import type { RevokedSession } from './session.repository.js';
import { endedByExpiry, type RevokeReason } from './revoke-reason.js';
import { SessionStateService } from './session-state.service.js';

/**
 * What follows every committed revocation: the cache learns it first (so every instance refuses
 * the sessions), then the application hears it. Events are optional: without EventEmitterModule
 * in the app, nothing is emitted.
 */
@Injectable()
export class SessionNotifier {
  constructor(
    private readonly state: SessionStateService,
    private readonly metrics: SessionMetrics,
    @Optional() private readonly events?: EventEmitter2,
  ) {}

  async revoked(sessions: RevokedSession[], reason: RevokeReason): Promise<void> {
    if (sessions.length === 0) return;
    if (!endedByExpiry(reason)) await this.state.markRevoked(sessions);
    this.metrics.terminations.inc({ reason }, sessions.length);
    const byUser = new Map<string, string[]>();
    for (const { id, userId } of sessions) byUser.set(userId, [...(byUser.get(userId) ?? []), id]);
    for (const [userId, sessionIds] of byUser) {
      this.emit(SessionEvents.TERMINATED, {
        userId,
        sessionIds,
        reason,
      } satisfies SessionTerminatedEvent);
    }
  }

  emit(event: string, payload: object): void {
    this.events?.emit(event, payload);
  }
}
