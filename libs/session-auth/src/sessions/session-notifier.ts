import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { SessionEvents, type SessionTerminatedEvent } from '../events/session-events.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import type { RevokedSession } from './session.repository.js';
import { endedByExpiry, type RevokeReason } from './revoke-reason.js';
import { SessionStateService } from './session-state.service.js';

/**
 * What follows every committed revocation: the cache learns it first (so every instance refuses
 * the sessions), then the application hears it. Events are optional: without @nestjs/event-emitter
 * and EventEmitterModule in the app, nothing is emitted (and the package is never loaded).
 */
@Injectable()
export class SessionNotifier implements OnModuleInit {
  private events?: EventEmitter2;

  constructor(
    private readonly state: SessionStateService,
    private readonly metrics: SessionMetrics,
    private readonly moduleRef?: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const loaded = await import('@nestjs/event-emitter').catch(() => undefined);
    if (!loaded || !this.moduleRef) return;
    try {
      this.events = this.moduleRef.get(loaded.EventEmitter2, { strict: false });
    } catch {
      // EventEmitterModule.forRoot() is not imported: no events.
    }
  }

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
