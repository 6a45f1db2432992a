import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { SessionEvents, type SessionTerminatedEvent } from './session-events.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { RevocationPropagator } from '../revocation/revocation-propagator.js';
import type { RevokedSession } from '../persistence/session.repository.js';
import { endedByExpiry, type RevokeReason } from '../persistence/revoke-reason.js';
import { lazyModule } from '../utils/optional-peer.js';

/**
 * What follows every committed revocation: the RevocationPropagator makes every live instance
 * refuse the sessions by the time the request answers; then the application hears it. Events are
 * optional: without @nestjs/event-emitter and EventEmitterModule in the app, nothing is emitted
 * (and the package is never loaded).
 */
@Injectable()
export class SessionNotifier implements OnModuleInit {
  private events?: EventEmitter2;

  constructor(
    @Inject(RevocationPropagator) private readonly propagator: RevocationPropagator,
    private readonly metrics: SessionMetrics,
    private readonly moduleRef?: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const loaded = await lazyModule(
      () => require('@nestjs/event-emitter'),
      () => import('@nestjs/event-emitter'),
    )().catch(() => undefined);
    if (!loaded || !this.moduleRef) return;
    try {
      // The emitter belongs to the app's EventEmitterModule, and its class is known only once the
      // optional package is loaded (no constructor injection): a look-up across modules.
      this.events = this.moduleRef.get(loaded.EventEmitter2, { strict: false });
    } catch {
      // EventEmitterModule.forRoot() is not imported: no events.
    }
  }

  /**
   * After a committed revocation: propagates it (the cache is marked and every live instance
   * confirms it refuses the sessions, bounded), counts it, then emits `session.terminated` per user.
   */
  async propagateAndEmit(sessions: RevokedSession[], reason: RevokeReason): Promise<void> {
    if (sessions.length === 0) return;
    // An expired session needs no news: every instance refuses it by its own lifetimes.
    if (!endedByExpiry(reason)) await this.propagator.propagate(sessions);
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

  /**
   * A revocation found its sessions already revoked (a retry: the first attempt may have failed
   * before its news went out): those of `userId` are propagated again; no event (they ended once).
   */
  async reaffirm(sessionIds: string[], userId: string): Promise<void> {
    await this.propagator.reaffirm(sessionIds, userId);
  }

  emit(event: string, payload: object): void {
    this.events?.emit(event, payload);
  }
}
