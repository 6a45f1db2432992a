import { Inject, Injectable, Logger } from '@nestjs/common';
import { SessionCache } from '../cache/session-cache.interface.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { type Clock, DatabaseClock } from '../clock/database-clock.js';
import { SessionRepository } from '../persistence/session.repository.js';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import { type SessionState, SessionStateService } from '../cache/session-state.service.js';
import { AccessTokenService, type AccessTokenClaims } from '../tokens/access-token.service.js';
import { BoundedMap } from '../utils/bounded-map.js';
import { isUuid } from '../persistence/uuid.js';

/** The authenticated principal behind a verified access token. */
export interface AuthenticatedSession {
  userId: string;
  sessionId: string;
  /** Epoch ms of the session's last password sign-in. */
  authenticatedAt: number;
  claims: AccessTokenClaims;
}

/**
 * The one check of an access token and its session, for the guard, the gateway's handshake and
 * `SessionService.verifyAccessToken`: a valid token, a live session of the token's user, and (for
 * `@RequireFreshSession`) a recent sign-in. It answers without a promise when this process holds
 * a trusted copy of the session's state (the common case on a busy route), else after the cache
 * or PostgreSQL. Every failure is a SessionAuthError, thrown at once or as a rejection.
 */
@Injectable()
export class SessionVerifier {
  private readonly logger = new Logger('SessionAuth');
  /** Sessions whose activity this instance recorded within the debounce window (bounded). */
  private readonly localTouches = new BoundedMap<true>(50_000);

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    @Inject(SessionCache) private readonly cache: SessionCache,
    private readonly repository: SessionRepository,
    private readonly state: SessionStateService,
    private readonly accessTokens: AccessTokenService,
    /** The database's clock: every lifetime is stamped on it. */
    @Inject(DatabaseClock) private readonly clock: Clock,
  ) {}

  /** The principal behind `token`, if its session is live. */
  check(token: string | undefined): AuthenticatedSession | Promise<AuthenticatedSession> {
    if (!token) throw new SessionAuthError('ACCESS_TOKEN_MISSING');
    const claims = this.accessTokens.verify(token);
    if (!isUuid(claims.sid)) return this.principal(claims, undefined);
    const local = this.state.peek(claims.sid);
    if (local) return this.principal(claims, local);
    return this.state.get(claims.sid).then((state) => this.principal(claims, state));
  }

  /**
   * What the guard asks: `check`, then freshness when `freshSeconds` is set, then activity is
   * recorded (never waited for, never failing the request).
   */
  admit(
    token: string | undefined,
    freshSeconds: number | undefined,
  ): AuthenticatedSession | Promise<AuthenticatedSession> {
    const checked = this.check(token);
    return checked instanceof Promise
      ? checked.then((auth) => this.admitted(auth, freshSeconds))
      : this.admitted(checked, freshSeconds);
  }

  /**
   * Records activity, at most once per `touchDebounceSeconds` per session across instances. The
   * local check comes first, so a busy session costs one cache round trip per window, not per request.
   */
  async touch(sessionId: string): Promise<void> {
    if (this.localTouchDue(sessionId)) await this.recordTouch(sessionId);
  }

  private admitted(auth: AuthenticatedSession, freshSeconds: number | undefined) {
    if (freshSeconds !== undefined && Date.now() - auth.authenticatedAt > freshSeconds * 1000) {
      throw new SessionAuthError('SESSION_NOT_FRESH');
    }
    if (this.localTouchDue(auth.sessionId)) {
      this.recordTouch(auth.sessionId).catch((e: Error) =>
        this.logger.warn(`touch failed: ${e.message}`),
      );
    }
    return auth;
  }

  private principal(
    claims: AccessTokenClaims,
    state: SessionState | undefined,
  ): AuthenticatedSession {
    if (!this.state.isLive(state) || state.userId !== claims.sub)
      throw new SessionAuthError('SESSION_REVOKED');
    return {
      userId: claims.sub,
      sessionId: claims.sid,
      authenticatedAt: this.clock.toLocal(state.authenticatedAt),
      claims,
    };
  }

  private async recordTouch(sessionId: string): Promise<void> {
    const debounceMs = this.options.touchDebounceSeconds * 1000;
    const due = await this.cache.setIfAbsent(`touch:${sessionId}`, '1', Math.max(1, debounceMs));
    if (due !== false) await this.repository.touch(sessionId);
  }

  private localTouchDue(sessionId: string): boolean {
    if (this.localTouches.has(sessionId)) return false;
    this.localTouches.set(sessionId, true, this.options.touchDebounceSeconds * 1000);
    return true;
  }
}
