import { Inject, Injectable } from '@nestjs/common';
import { SessionCache } from '../cache/session-cache.interface.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import type { HttpRequestLike, HttpResponseLike } from '../http/http-types.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { hasOutlived } from '../persistence/session-lifetime.js';
import { RefreshRotationService } from '../sessions/refresh-rotation.service.js';
import type { SessionContext } from '../sessions/session-context.js';
import { type IssuedSession, SessionService } from '../sessions/session.service.js';
import { DBSC_HEADERS, readSfString } from './dbsc-headers.js';
import { isSignatureProblem, verifyDbscRefresh, verifyDbscRegistration } from './dbsc-proof.js';
import {
  DBSC_CHALLENGE_TTL_SECONDS,
  DbscResponses,
  type DbscSessionConfig,
} from './dbsc-responses.js';
import { readDeviceJwk } from './device-jwk.js';
import { ProofReplayGuard } from './proof-replay.js';

/** How long an answered challenge is remembered (it is refused as stale after that anyway). */
const CHALLENGE_REPLAY_TTL_MS = (DBSC_CHALLENGE_TTL_SECONDS + 10) * 1000;

/** `{"continue": false}`: the browser drops its DBSC session (and key). */
const END: DbscSessionConfig = { continue: false };

/**
 * The two DBSC routes (W3C "Device Bound Session Credentials" draft): registration (the browser's
 * new key binds the session, once, like a DPoP key, with `key_source = 'dbsc'`) and refresh (403
 * with a challenge, then the signed retry) that re-issues the session's bound credential: a
 * short-lived cookie without which `/auth/refresh` of a DBSC-bound session is theft. What they
 * write on answers (headers, challenges, the cookie) is {@link DbscResponses}.
 */
@Injectable()
export class DbscService {
  private readonly replays: ProofReplayGuard;

  constructor(
    readonly responses: DbscResponses,
    @Inject(SessionCache) cache: SessionCache,
    private readonly sessions: SessionService,
    private readonly rotation: RefreshRotationService,
  ) {
    this.replays = new ProofReplayGuard(cache);
  }

  /**
   * Registers the browser's key: verifies the registration JWT (the `Secure-Session-Response`
   * header), that it answers a fresh challenge issued for the refresh cookie's session, then
   * rotates the refresh token, binding the session to the key (set once, never replaced: the same
   * statement as a DPoP key's first refresh). The refresh token from before the binding is spent.
   */
  async register(
    request: HttpRequestLike,
    refreshTokens: unknown[],
    context: SessionContext,
  ): Promise<{ issued: IssuedSession; thumbprint: string; config: DbscSessionConfig }> {
    if (!this.responses.enabled) throw new SessionAuthError('NOT_FOUND');
    const proof = verifyDbscRegistration(readSfString(request, DBSC_HEADERS.response));
    if (typeof proof === 'string') throw registrationInvalid(proof);
    const session = await this.rotation.sessionOf(refreshTokens[0]);
    if (!this.responses.isFreshChallenge(proof.jti, 'registration', session.id))
      throw registrationInvalid('jti is not a fresh challenge for this session');
    const { thumbprint, jwk } = proof.key;
    if (session.keyThumbprint && session.keyThumbprint !== thumbprint)
      throw new SessionAuthError('DEVICE_ALREADY_BOUND');
    if (!(await this.replays.firstUse(thumbprint, `dbsc:${proof.jti}`, CHALLENGE_REPLAY_TTL_MS)))
      throw registrationInvalid('the challenge was already answered');
    const issued = await this.sessions.rotateRefreshToken(refreshTokens, context, {
      thumbprint,
      alg: 'ES256',
      source: 'dbsc',
      jwk: JSON.stringify(jwk),
    });
    return { issued, thumbprint, config: this.responses.config(session.id) };
  }

  /**
   * A DBSC refresh: the session the refresh cookie names must be the `Sec-Secure-Session-Id`, live
   * and bound through DBSC (else `{"continue": false}`). Without a proof, or with one answering a
   * stale or used challenge: 403 `DBSC_PROOF_REQUIRED` and a `Secure-Session-Challenge`. A proof
   * the stored key did not sign is theft (the session is ended, `REFRESH_TOKEN_REUSED`). A valid
   * proof re-issues the bound credential. The refresh token itself is not spent.
   */
  async refresh(
    request: HttpRequestLike,
    response: HttpResponseLike,
    refreshTokens: unknown[],
    context: SessionContext,
  ): Promise<DbscSessionConfig> {
    if (!this.responses.enabled) throw new SessionAuthError('NOT_FOUND');
    const sessionId = readSfString(request, DBSC_HEADERS.sessionId);
    if (!sessionId) throw refreshInvalid(`the ${DBSC_HEADERS.sessionId} header is missing`);
    const session = await this.rotation.sessionOf(refreshTokens[0]).catch(notOurs);
    const key = session && this.liveKey(session, sessionId);
    if (!session || !key) {
      this.responses.clearCredential(response);
      return END;
    }
    const raw = readSfString(request, DBSC_HEADERS.response);
    if (raw === undefined) return this.responses.challenge(response, session.id);
    const proof = verifyDbscRefresh(raw, key);
    if (typeof proof === 'string') {
      if (isSignatureProblem(proof)) {
        this.responses.clearCredential(response);
        return this.rotation.refuseAsTheft(session, context);
      }
      throw refreshInvalid(proof);
    }
    const fresh =
      this.responses.isFreshChallenge(proof.jti, 'refresh', session.id) &&
      (await this.replays.firstUse(key.thumbprint, `dbsc:${proof.jti}`, CHALLENGE_REPLAY_TTL_MS));
    if (!fresh) return this.responses.challenge(response, session.id);
    this.responses.setCredential(response, session.id, key.thumbprint);
    return this.responses.config(session.id);
  }

  /** The DBSC key of a live session named `sessionId`, or `undefined`. */
  private liveKey(session: SessionEntity, sessionId: string) {
    if (session.id !== sessionId || session.revokedAt || hasOutlived(session, new Date()))
      return undefined;
    if (session.keySource !== 'dbsc' || !session.keyJwk) return undefined;
    let jwk: unknown;
    try {
      jwk = JSON.parse(session.keyJwk);
    } catch {
      return undefined;
    }
    const key = readDeviceJwk(jwk);
    return typeof key === 'string' || key.thumbprint !== session.keyThumbprint ? undefined : key;
  }
}

/**
 * No session for this cookie (none, or not one we issued): the browser's DBSC session is over.
 * Anything else (the database down) is thrown, so the browser retries later instead of ending it.
 */
function notOurs(error: unknown): undefined {
  const code = error instanceof SessionAuthError ? error.code : undefined;
  if (code === 'REFRESH_TOKEN_MISSING' || code === 'REFRESH_TOKEN_INVALID') return undefined;
  throw error;
}

function registrationInvalid(detail: string): SessionAuthError {
  return new SessionAuthError(
    'DBSC_REGISTRATION_INVALID',
    `The DBSC registration is not valid: ${detail}.`,
  );
}

function refreshInvalid(detail: string): SessionAuthError {
  return new SessionAuthError('DBSC_REFRESH_INVALID', `The DBSC refresh is not valid: ${detail}.`);
}
