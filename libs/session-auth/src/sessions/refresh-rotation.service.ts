import { Inject, Injectable } from '@nestjs/common';
import { DeviceProofService } from '../binding/device-proof.service.js';
import type { DeviceKey } from '../binding/device-jwk.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SessionEvents, type SessionReuseDetectedEvent } from '../events/session-events.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import type { SessionContext } from './session-context.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { SessionNotifier } from '../events/session-notifier.js';
import { RotationRepository } from '../persistence/rotation.repository.js';
import {
  type RevokedSession,
  type SessionDeviceKey,
  SessionRepository,
} from '../persistence/session.repository.js';
import {
  looksLikeRefreshToken,
  mintRefreshToken,
  readRefreshToken,
} from '../tokens/refresh-token.crypto.js';
import { decideRotation, type PresentedToken, sameNonce } from './rotation-decision.js';
import type { TheftCause } from '../binding/theft-cause.js';

/** Presented tokens read per refresh (each costs a MAC). */
const MAX_PRESENTED_TOKENS = 4;

/** A successful rotation (or grace-window retry): the live refresh token and its session. */
export interface Rotation {
  session: SessionEntity;
  refreshToken: string;
}

/**
 * Spends a refresh token and issues exactly one successor. The common path is one conditional
 * UPDATE of the session row (see RotationRepository): the successor is the token of the next
 * generation, derived, so nothing else is written and a grace-window retry can recompute it.
 * Only when that UPDATE matches nothing is the row read and the case decided (decideRotation).
 */
@Injectable()
export class RefreshRotationService {
  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly rotations: RotationRepository,
    private readonly sessions: SessionRepository,
    private readonly notifier: SessionNotifier,
    private readonly metrics: SessionMetrics,
    private readonly proofs: DeviceProofService,
  ) {}

  /** The token of the session's live generation (what a sign-in or a rotation hands out). */
  tokenOf(session: Pick<SessionEntity, 'id' | 'refreshGeneration' | 'refreshNonce'>): string {
    const [signing] = this.options.refreshTokenKeys;
    return mintRefreshToken(signing, session.id, session.refreshGeneration, session.refreshNonce);
  }

  async rotate(raw: unknown, context: SessionContext): Promise<Rotation> {
    const candidates = (Array.isArray(raw) ? raw : [raw]).filter(
      (value) => value !== undefined && value !== null && value !== '',
    );
    if (candidates.length === 0) throw new SessionAuthError('REFRESH_TOKEN_MISSING');
    const chosen = this.chosen(candidates);
    if (!chosen) throw new SessionAuthError('REFRESH_TOKEN_INVALID');
    // A proof is checked before the session is read: a bad one costs no database round trip.
    const key = await this.proofs.verify(context.deviceProof, { nonce: true });
    const presented = { ...chosen, keyThumbprint: key?.thumbprint ?? null };

    const advanced = await this.rotations.advance({
      ...presented,
      context,
      idleTtlSeconds: this.options.idleTtl,
      rules: this.options,
      deviceKey: key ? sessionKey(key) : null,
      keyRules: {
        enforce: this.options.deviceBinding !== 'off',
        required: this.options.deviceBinding === 'required',
      },
    });
    if (advanced) {
      this.metrics.rotations.inc();
      this.notifier.emit(SessionEvents.ROTATED, {
        userId: advanced.userId,
        sessionId: advanced.id,
      });
      return { session: advanced, refreshToken: this.tokenOf(advanced) };
    }
    return this.decide(presented, context);
  }

  /**
   * The session a refresh token of ours names, without spending it (sign-out by cookie alone).
   * Any generation this session issued counts: whoever holds one could end the session through
   * reuse detection anyway. REFRESH_TOKEN_MISSING / REFRESH_TOKEN_INVALID otherwise.
   */
  async sessionOf(raw: unknown): Promise<SessionEntity> {
    if (raw === undefined || raw === null || raw === '')
      throw new SessionAuthError('REFRESH_TOKEN_MISSING');
    const presented = looksLikeRefreshToken(raw) ? this.presented(raw) : undefined;
    const { session } = presented ? await this.rotations.find(presented.sessionId) : {};
    const issued =
      session &&
      presented!.generation <= session.refreshGeneration &&
      sameNonce(session.refreshNonce, presented!.nonce);
    if (!issued) throw new SessionAuthError('REFRESH_TOKEN_INVALID');
    return session;
  }

  /**
   * The one token to spend among those presented: the first that this server issued (anything
   * else is skipped unread), and of its session the newest generation presented, so a stale
   * duplicate (e.g. left under an old cookie path) is not taken for reuse. Nothing is spent here.
   */
  private chosen(
    candidates: readonly unknown[],
  ): (PresentedToken & { sessionId: string }) | undefined {
    let chosen: (PresentedToken & { sessionId: string }) | undefined;
    for (const raw of candidates.slice(0, MAX_PRESENTED_TOKENS)) {
      if (!looksLikeRefreshToken(raw)) continue;
      const presented = this.presented(raw);
      if (!presented) continue;
      if (!chosen) chosen = presented;
      else if (presented.sessionId === chosen.sessionId && presented.generation > chosen.generation)
        chosen = presented;
    }
    return chosen;
  }

  /** The session and generation a token names, or `undefined` if we did not issue it. */
  private presented(raw: string): (PresentedToken & { sessionId: string }) | undefined {
    return readRefreshToken(raw, this.options.refreshTokenKeys);
  }

  private async decide(
    presented: PresentedToken & { sessionId: string },
    context: SessionContext,
  ): Promise<Rotation> {
    const { session, now } = await this.rotations.find(presented.sessionId);
    const decision = decideRotation(session, presented, now, context, this.options);
    switch (decision.kind) {
      case 'refuse':
        throw new SessionAuthError(decision.code);
      case 'retry':
        this.metrics.graceRetries.inc();
        return { session: session!, refreshToken: this.tokenOf(session!) };
      case 'expire': {
        const revoked = await this.sessions.revokeByIds([session!.id], 'EXPIRED');
        // Another request ended it first: answer as that one decided.
        if (!revoked.some((s) => s.id === session!.id)) return this.decide(presented, context);
        await this.notifier.revoked(revoked, 'EXPIRED');
        throw new SessionAuthError('REFRESH_TOKEN_EXPIRED');
      }
      case 'reuse':
      case 'key-mismatch': {
        const revoked = await this.revokeForReuse(session!);
        if (!revoked.some((s) => s.id === session!.id)) return this.decide(presented, context);
        const cause = decision.kind === 'reuse' ? 'token-reused' : 'device-key-mismatch';
        return this.reused(session!, revoked, context, cause);
      }
    }
  }

  private revokeForReuse(session: SessionEntity): Promise<RevokedSession[]> {
    return this.options.revokeAllOnReuse
      ? this.sessions.revoke(session.userId, { kind: 'all' }, 'REUSE_DETECTED')
      : this.sessions.revokeByIds([session.id], 'REUSE_DETECTED');
  }

  private async reused(
    session: SessionEntity,
    revoked: RevokedSession[],
    context: SessionContext,
    cause: TheftCause,
  ): Promise<never> {
    this.metrics.reuseDetections.inc();
    // The alert goes out first, so the device whose session ends also hears why.
    this.notifier.emit(SessionEvents.REUSE_DETECTED, {
      userId: session.userId,
      sessionId: session.id,
      revokedSessionIds: revoked.map((s) => s.id),
      cause,
      ip: context.ip,
      userAgent: context.userAgent,
    } satisfies SessionReuseDetectedEvent);
    await this.notifier.revoked(revoked, 'REUSE_DETECTED');
    throw new SessionAuthError(
      'REFRESH_TOKEN_REUSED',
      cause === 'device-key-mismatch'
        ? 'This refresh token came without the key of the device it was issued to; the session has been ended for safety.'
        : undefined,
    );
  }
}

/** A proved key as the session row keeps it. */
export function sessionKey(key: DeviceKey): SessionDeviceKey {
  return { thumbprint: key.thumbprint, alg: 'ES256', source: 'dpop' };
}
