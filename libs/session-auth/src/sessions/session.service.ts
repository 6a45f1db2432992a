import { Inject, Injectable } from '@nestjs/common';
import { type AuthenticatedSession, SessionVerifier } from './session-verifier.js';
import { CleanupService, type CleanupResult } from '../cleanup/cleanup.service.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SessionEvents, type SessionCreatedEvent } from '../events/session-events.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { type PasswordJobOptions, PasswordService } from '../passwords/password.service.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { AccessTokenService } from '../tokens/access-token.service.js';
import { generateNonce } from '../tokens/refresh-token.crypto.js';
import { RefreshRotationService, sessionKey } from './refresh-rotation.service.js';
import { DeviceProofService } from '../binding/device-proof.service.js';
import { type Clock, DatabaseClock } from '../clock/database-clock.js';
import { boundedContext, type SessionContext } from './session-context.js';
import type { RevokeReason, SessionEntity } from '../persistence/session.entity.js';
import { SessionNotifier } from '../events/session-notifier.js';
import { SessionRepository } from '../persistence/session.repository.js';
import { SessionStateService } from '../cache/session-state.service.js';
import {
  defaultDeviceName,
  toSessionListItem,
  toSessionView,
  type SessionListItem,
  type SessionView,
} from './session-view.js';
import { isUuid } from '../persistence/uuid.js';

/** What a sign-in or a refresh hands to the client. */
export interface IssuedSession {
  userId: string;
  session: SessionView;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  /** Seconds until the session's absolute end, rounded up: the refresh cookie's Max-Age. */
  refreshTokenMaxAge: number;
}

export type { AuthenticatedSession };

/** Everything an app does with sessions: sign-in, refresh, verification, listing, sign-out. */
@Injectable()
export class SessionService {
  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly repository: SessionRepository,
    private readonly state: SessionStateService,
    private readonly notifier: SessionNotifier,
    private readonly accessTokens: AccessTokenService,
    private readonly verifier: SessionVerifier,
    private readonly rotation: RefreshRotationService,
    private readonly passwords: PasswordService,
    private readonly cleanup: CleanupService,
    private readonly metrics: SessionMetrics,
    private readonly proofs: DeviceProofService,
    /** The database's clock: every lifetime is stamped on it. */
    @Inject(DatabaseClock) private readonly clock: Clock,
  ) {}

  /**
   * Starts a session after the app has checked the user's credentials. With a `DPoP` proof in the
   * context (see `sessionContextOf`) the session is bound to that device key; under
   * `deviceBinding: 'required'` a sign-in without one is refused with `DEVICE_KEY_REQUIRED`.
   */
  async createSession(userId: string, context: SessionContext = {}): Promise<IssuedSession> {
    const ctx = boundedContext(context);
    const key = await this.proofs.verify(ctx.deviceProof, { nonce: false });
    if (!key && this.options.deviceBinding === 'required')
      throw new SessionAuthError('DEVICE_KEY_REQUIRED');
    const { session, evicted } = await this.repository.createWithinLimit(
      {
        userId,
        context: ctx,
        deviceName: ctx.deviceName ?? defaultDeviceName(ctx.userAgent),
        refreshNonce: generateNonce(),
        idleTtl: this.options.idleTtl,
        absoluteTtl: this.options.absoluteTtl,
        deviceKey: key && sessionKey(key),
      },
      this.options.maxSessionsPerUser,
    );
    this.metrics.sessionsCreated.inc();
    await this.notifier.revoked(evicted, 'SESSION_LIMIT');
    const issued = this.issue(session, this.rotation.tokenOf(session));
    this.notifier.emit(SessionEvents.CREATED, {
      userId,
      session: { ...issued.session, current: false },
      evictedSessionIds: evicted.map((s) => s.id),
    } satisfies SessionCreatedEvent);
    return issued;
  }

  /**
   * Spends a refresh token and returns its successor (the same one for a retry within the grace
   * window). `raw` may be a list of presented tokens (duplicate cookies,
   * `RefreshTokenTransport.readAll`): the first one this server issued is spent, see
   * docs/security.md "Refresh-cookie tossing".
   */
  async rotateRefreshToken(raw: unknown, context: SessionContext = {}): Promise<IssuedSession> {
    const { session, refreshToken } = await this.rotation.rotate(raw, boundedContext(context));
    return this.issue(session, refreshToken);
  }

  /** Verifies an access token and that its session is still live (on every instance, Redis up or down). */
  async verifyAccessToken(token: string | undefined): Promise<AuthenticatedSession> {
    return this.verifier.check(token);
  }

  /** The user's live sessions, most recently active first; `current` marks `currentSessionId`. */
  async getActiveSessions(userId: string, currentSessionId?: string): Promise<SessionView[]> {
    const sessions = await this.repository.findLive(userId);
    return sessions.map((s) => toSessionView(s, currentSessionId));
  }

  /** Live sessions of several users at once (for fan-out after a batch of changes), by user id. */
  async getActiveSessionsOfUsers(userIds: string[]): Promise<Map<string, SessionListItem[]>> {
    const byUser = new Map<string, SessionListItem[]>(userIds.map((id) => [id, []]));
    for (let i = 0; i < userIds.length; i += 1000) {
      for (const session of await this.repository.findLiveOfUsers(userIds.slice(i, i + 1000))) {
        byUser.get(session.userId)?.push(toSessionListItem(session));
      }
    }
    return byUser;
  }

  /** Ends one of the user's sessions; SESSION_NOT_FOUND if it is not theirs or already ended. */
  async terminateSession(
    sessionId: string,
    userId: string,
    reason: RevokeReason = 'TERMINATED',
  ): Promise<void> {
    if (!isUuid(sessionId)) throw new SessionAuthError('SESSION_NOT_FOUND');
    const revoked = await this.repository.revoke(userId, { kind: 'one', sessionId }, reason);
    if (revoked.length === 0) {
      // Already ended (a retry?): its news may not have gone out; propagate it again, then say so.
      await this.notifier.reaffirm([sessionId], userId);
      throw new SessionAuthError('SESSION_NOT_FOUND');
    }
    await this.notifier.revoked(revoked, reason);
  }

  /**
   * The session and user a refresh token names, without spending it (e.g. to sign out when the
   * access token is gone); ended sessions included. REFRESH_TOKEN_MISSING / REFRESH_TOKEN_INVALID.
   */
  async sessionOfRefreshToken(raw: unknown): Promise<{ sessionId: string; userId: string }> {
    const session = await this.rotation.sessionOf(raw);
    return { sessionId: session.id, userId: session.userId };
  }

  /** Ends every session of the user but the current one; returns how many ended. */
  async terminateOtherSessions(userId: string, currentSessionId: string): Promise<number> {
    const scope = { kind: 'all-but', sessionId: currentSessionId } as const;
    const revoked = await this.repository.revoke(userId, scope, 'TERMINATED_OTHERS');
    await this.notifier.revoked(revoked, 'TERMINATED_OTHERS');
    return revoked.length;
  }

  /** Ends every session of the user; returns how many ended. */
  async terminateAllSessions(
    userId: string,
    reason: RevokeReason = 'TERMINATED_ALL',
  ): Promise<number> {
    const revoked = await this.repository.revoke(userId, { kind: 'all' }, reason);
    await this.notifier.revoked(revoked, reason);
    return revoked.length;
  }

  /**
   * Call after the user changed their password: ends every other session (reason
   * `PASSWORD_CHANGED`) unless `keepOtherSessions`, and marks the current one freshly signed in.
   * Returns how many sessions ended.
   */
  async passwordChanged(
    userId: string,
    currentSessionId: string,
    { keepOtherSessions = false }: { keepOtherSessions?: boolean } = {},
  ): Promise<number> {
    if (await this.repository.markAuthenticated(currentSessionId, userId))
      await this.state.forget(currentSessionId);
    if (keepOtherSessions) return 0;
    const scope = { kind: 'all-but', sessionId: currentSessionId } as const;
    const revoked = await this.repository.revoke(userId, scope, 'PASSWORD_CHANGED');
    await this.notifier.revoked(revoked, 'PASSWORD_CHANGED');
    return revoked.length;
  }

  /** Records activity, at most once per `touchDebounceSeconds` per session across instances. */
  touchSession(sessionId: string): Promise<void> {
    return this.verifier.touch(sessionId);
  }

  /**
   * bcrypt hash at the configured cost; VALIDATION_FAILED over 72 bytes, SERVER_BUSY (503 with
   * Retry-After) when `passwordQueueLimit` jobs already wait. With `job.signal` (see
   * `clientGoneSignal`), a job still waiting when the client goes away is dropped unrun.
   */
  hashPassword(plain: string, job?: PasswordJobOptions): Promise<string> {
    return this.passwords.hash(plain, job);
  }

  /** bcrypt compare; with no hash it still spends one compare and answers false. Queued like `hashPassword`. */
  verifyPassword(
    plain: string,
    hash: string | null | undefined,
    job?: PasswordJobOptions,
  ): Promise<boolean> {
    return this.passwords.verify(plain, hash, job);
  }

  /** Ends expired sessions and deletes old rows now (the cron job calls the same). */
  cleanupExpiredSessions(): Promise<CleanupResult> {
    return this.cleanup.run();
  }

  private issue(session: SessionEntity, refreshToken: string): IssuedSession {
    const { token, expiresAt } = this.accessTokens.sign(
      session.userId,
      session.id,
      session.keyThumbprint,
    );
    return {
      userId: session.userId,
      session: toSessionView(session, session.id),
      accessToken: token,
      accessTokenExpiresAt: expiresAt,
      refreshToken,
      refreshTokenMaxAge: Math.max(
        0,
        Math.ceil((session.absoluteExpiresAt.getTime() - this.clock.now()) / 1000),
      ),
    };
  }
}
