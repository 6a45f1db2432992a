import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SessionAuthError } from '../errors/session-auth.error.js';
import type { SessionAuthErrorCode } from '../errors/error-codes.js';
import { SessionEvents, type SessionReuseDetectedEvent } from '../events/session-events.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../session-auth.options.js';
import { RefreshTokenEntity } from '../sessions/refresh-token.entity.js';
import type { SessionContext } from '../sessions/session-context.js';
import { SessionEntity } from '../sessions/session.entity.js';
import { SessionNotifier } from '../sessions/session-notifier.js';
import { type RevokedSession, SessionRepository } from '../sessions/session.repository.js';
import { SessionStateService } from '../sessions/session-state.service.js';
import { rotateInOneStatement } from './rotate-statement.js';
import {
  generateRefreshToken,
  hashRefreshToken,
  looksLikeRefreshToken,
  openSuccessor,
  sealSuccessor,
} from './refresh-token.crypto.js';

/** A successful rotation (or grace-window retry): the live refresh token and its session. */
export interface Rotation {
  session: SessionEntity;
  refreshToken: string;
}

type Outcome =
  | { kind: 'rotated' | 'retried'; session: SessionEntity; refreshToken: string }
  | { kind: 'refused'; code: SessionAuthErrorCode }
  | { kind: 'expired'; revoked: RevokedSession[] }
  | { kind: 'reused'; session: SessionEntity; revoked: RevokedSession[] };

/**
 * Spends a refresh token and issues exactly one successor, atomically across instances: the
 * session row is locked (SELECT ... FOR UPDATE) for the whole transaction, so concurrent refreshes
 * of one session run one after the other, and the database's partial unique index allows one
 * unspent token per session. Errors are decided inside the transaction but thrown after it
 * commits, so a revocation for reuse or expiry is never rolled back by its own error.
 */
@Injectable()
export class RefreshRotationService {
  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly repository: SessionRepository,
    private readonly state: SessionStateService,
    private readonly notifier: SessionNotifier,
    private readonly metrics: SessionMetrics,
  ) {}

  async rotate(raw: unknown, context: SessionContext): Promise<Rotation> {
    if (raw === undefined || raw === null || raw === '')
      throw new SessionAuthError('REFRESH_TOKEN_MISSING');
    if (!looksLikeRefreshToken(raw)) throw new SessionAuthError('REFRESH_TOKEN_INVALID');
    // Device binding needs the stored device compared first: always the careful path then.
    const bound = this.options.bindDevice || this.options.bindUserAgent;
    const fast = bound
      ? undefined
      : await rotateInOneStatement(this.repository.dataSource, raw, context, this.options.idleTtl);
    const outcome: Outcome = fast
      ? { kind: 'rotated', ...fast }
      : await this.repository.dataSource.transaction((m) => this.decide(m, raw, context));
    switch (outcome.kind) {
      case 'rotated':
        this.metrics.rotations.inc();
        await this.state.forget(outcome.session.id);
        this.notifier.emit(SessionEvents.ROTATED, {
          userId: outcome.session.userId,
          sessionId: outcome.session.id,
        });
        return { session: outcome.session, refreshToken: outcome.refreshToken };
      case 'retried':
        this.metrics.graceRetries.inc();
        return { session: outcome.session, refreshToken: outcome.refreshToken };
      case 'expired':
        await this.notifier.revoked(outcome.revoked, 'EXPIRED');
        throw new SessionAuthError('REFRESH_TOKEN_EXPIRED');
      case 'reused':
        this.metrics.reuseDetections.inc();
        // The alert goes out first, so the device whose session ends also hears why.
        this.notifier.emit(SessionEvents.REUSE_DETECTED, {
          userId: outcome.session.userId,
          sessionId: outcome.session.id,
          revokedSessionIds: outcome.revoked.map((s) => s.id),
          ip: context.ip,
          userAgent: context.userAgent,
        } satisfies SessionReuseDetectedEvent);
        await this.notifier.revoked(outcome.revoked, 'REUSE_DETECTED');
        throw new SessionAuthError('REFRESH_TOKEN_REUSED');
      case 'refused':
        throw new SessionAuthError(outcome.code);
    }
  }

  private async decide(m: EntityManager, raw: string, context: SessionContext): Promise<Outcome> {
    const found = await m.findOne(RefreshTokenEntity, {
      where: { tokenHash: hashRefreshToken(raw) },
    });
    if (!found) return { kind: 'refused', code: 'REFRESH_TOKEN_INVALID' };
    const session = await m
      .createQueryBuilder(SessionEntity, 's')
      .setLock('pessimistic_write')
      .where('s.id = :id', { id: found.sessionId })
      .getOne();
    if (!session) return { kind: 'refused', code: 'REFRESH_TOKEN_INVALID' };
    if (session.revokedAt) {
      return {
        kind: 'refused',
        code: session.revokeReason === 'EXPIRED' ? 'REFRESH_TOKEN_EXPIRED' : 'SESSION_REVOKED',
      };
    }
    // The database's clock, like every timestamp it compares with (one clock for every lifetime).
    const now = await this.repository.databaseNow(m);
    if (session.idleExpiresAt <= now || session.absoluteExpiresAt <= now) {
      return {
        kind: 'expired',
        revoked: await this.repository.revokeByIds(m, [session.id], 'EXPIRED'),
      };
    }

    // Re-read under the session lock: a concurrent rotation may have spent it meanwhile.
    const token = await m.findOneOrFail(RefreshTokenEntity, { where: { id: found.id } });
    // Reuse detection comes before device binding: a spent token replayed from another device is
    // theft, and must revoke the session and raise the alarm, not pass for a device mismatch.
    if (token.spentAt) return this.spentTokenPresented(m, session, token, raw, now, context);
    if (this.deviceMismatch(session, context)) return { kind: 'refused', code: 'DEVICE_MISMATCH' };

    const successor = generateRefreshToken();
    await m.update(
      RefreshTokenEntity,
      { id: token.id },
      { spentAt: now, sealedSuccessor: sealSuccessor(raw, successor) },
    );
    await m.insert(RefreshTokenEntity, {
      id: randomUUID(),
      sessionId: session.id,
      tokenHash: hashRefreshToken(successor),
      parentId: token.id,
      createdAt: now,
      spentAt: null,
      sealedSuccessor: null,
    });
    session.lastActiveAt = now;
    session.idleExpiresAt = new Date(
      Math.min(now.getTime() + this.options.idleTtl * 1000, session.absoluteExpiresAt.getTime()),
    );
    if (context.ip) session.ip = context.ip;
    await m.update(
      SessionEntity,
      { id: session.id },
      { lastActiveAt: session.lastActiveAt, idleExpiresAt: session.idleExpiresAt, ip: session.ip },
    );
    return { kind: 'rotated', session, refreshToken: successor };
  }

  /**
   * A spent token is an idempotent retry only within the grace window, from the same device, and
   * while its successor is still the session's live token; anything else is theft. (A -> B -> C,
   * then A again: B is spent, so handing B out would give a dead token, or let a thief walk the
   * chain to the live one without raising reuse.)
   */
  private async spentTokenPresented(
    m: EntityManager,
    session: SessionEntity,
    token: RefreshTokenEntity,
    raw: string,
    now: Date,
    context: SessionContext,
  ): Promise<Outcome> {
    const withinGrace =
      now.getTime() - token.spentAt!.getTime() <= this.options.reuseGraceSeconds * 1000;
    const successor =
      withinGrace && token.sealedSuccessor && !this.deviceMismatch(session, context)
        ? openSuccessor(raw, token.sealedSuccessor)
        : undefined;
    if (successor && (await this.isLiveToken(m, session.id, successor))) {
      return { kind: 'retried', session, refreshToken: successor };
    }
    const revoked = this.options.revokeAllOnReuse
      ? await this.repository.revoke(m, session.userId, { kind: 'all' }, 'REUSE_DETECTED')
      : await this.repository.revokeByIds(m, [session.id], 'REUSE_DETECTED');
    return { kind: 'reused', session, revoked };
  }

  /** Whether `raw` is the session's unspent refresh token. */
  private async isLiveToken(m: EntityManager, sessionId: string, raw: string): Promise<boolean> {
    const live = await m.findOne(RefreshTokenEntity, {
      where: { tokenHash: hashRefreshToken(raw) },
    });
    return !!live && live.sessionId === sessionId && live.spentAt === null;
  }

  private deviceMismatch(session: SessionEntity, context: SessionContext): boolean {
    if (this.options.bindDevice && session.deviceId && session.deviceId !== context.deviceId)
      return true;
    return (
      this.options.bindUserAgent && !!session.userAgent && session.userAgent !== context.userAgent
    );
  }
}
