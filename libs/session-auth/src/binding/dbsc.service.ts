import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { serialize } from 'cookie';
import { SessionCache } from '../cache/session-cache.interface.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { cookieValues, sessionCookieFlags } from '../http/cookie-values.js';
import {
  appendSetCookie,
  type HttpRequestLike,
  type HttpResponseLike,
  setResponseHeader,
} from '../http/http-types.js';
import type { SessionEntity } from '../persistence/session.entity.js';
import { hasOutlived } from '../persistence/session-lifetime.js';
import {
  SESSION_AUTH_RESOLVED_OPTIONS,
  SESSION_AUTH_ROUTE_PATH,
} from '../session-auth.internal-tokens.js';
import { RefreshRotationService } from '../sessions/refresh-rotation.service.js';
import type { SessionContext } from '../sessions/session-context.js';
import { type IssuedSession, SessionService } from '../sessions/session.service.js';
import { DbscCredentials, DBSC_CREDENTIAL_TTL_SECONDS } from './dbsc-credential.js';
import { challengeHeader, DBSC_HEADERS, readSfString, registrationHeader } from './dbsc-headers.js';
import { isSignatureProblem, verifyDbscRefresh, verifyDbscRegistration } from './dbsc-proof.js';
import { readDeviceJwk } from './device-jwk.js';
import { ProofNonces } from './proof-nonce.js';
import { ProofReplayGuard } from './proof-replay.js';

/** Seconds a DBSC challenge stays fresh (the draft lets a proof answer a slightly older one). */
export const DBSC_CHALLENGE_TTL_SECONDS = 300;

/** Random bytes in front of each challenge (12 base64url characters). */
const SALT_BYTES = 9;
const SALT_CHARS = 12;

/** How long an answered challenge is remembered (it is refused as stale after that anyway). */
const CHALLENGE_REPLAY_TTL_MS = (DBSC_CHALLENGE_TTL_SECONDS + 10) * 1000;

/** The session configuration a registration or refresh answers with (the draft's JSON). */
export interface DbscSessionConfig {
  session_identifier?: string;
  refresh_url?: string;
  continue?: boolean;
  scope?: { include_site: boolean; scope_specification: unknown[] };
  credentials?: { type: 'cookie'; name: string; attributes: string }[];
}

/** `{"continue": false}`: the browser drops its DBSC session (and key). */
const END: DbscSessionConfig = { continue: false };

/**
 * The server side of DBSC (W3C "Device Bound Session Credentials" draft): the registration header
 * on sign-in and on refreshes of unbound sessions, the registration route (the browser's new key
 * binds the session, once, like a DPoP key, with `key_source = 'dbsc'`), and the refresh route
 * (403 with a challenge, then the signed retry) that re-issues the session's bound credential: a
 * short-lived cookie without which `/auth/refresh` of a DBSC-bound session is theft.
 */
@Injectable()
export class DbscService {
  private readonly challenges: ProofNonces;
  private readonly credentials: DbscCredentials;
  private readonly replays: ProofReplayGuard;
  private readonly routePath: string;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    @Inject(SessionCache) cache: SessionCache,
    private readonly sessions: SessionService,
    private readonly rotation: RefreshRotationService,
    @Optional() @Inject(SESSION_AUTH_ROUTE_PATH) routePath: string = 'auth',
  ) {
    const secrets = options.refreshTokenKeys.map((k) => k.key);
    this.challenges = new ProofNonces(
      secrets,
      DBSC_CHALLENGE_TTL_SECONDS,
      'session-auth/dbsc-challenge-key/v1',
    );
    this.credentials = new DbscCredentials(secrets);
    this.replays = new ProofReplayGuard(cache);
    this.routePath = `/${routePath.replace(/^\/+|\/+$/g, '')}`;
  }

  /** DBSC needs device binding on and a refresh cookie to bind (not `refreshTransport: 'body'`). */
  get enabled(): boolean {
    return this.options.deviceBinding !== 'off' && this.options.refreshTransport !== 'body';
  }

  /** Name of the bound-credential cookie: the refresh cookie's name with `-dbsc`. */
  get credentialName(): string {
    return `${this.options.cookieName}-dbsc`;
  }

  /**
   * Adds `Secure-Session-Registration` to a sign-in or refresh answer of a session not yet bound
   * to a device key, with a challenge for that session.
   */
  offerRegistration(response: HttpResponseLike, session: { id: string; deviceBound: boolean }) {
    if (!this.enabled || session.deviceBound) return;
    const challenge = this.issueChallenge('registration', session.id);
    setResponseHeader(
      response,
      DBSC_HEADERS.registration,
      registrationHeader(`${this.routePath}/dbsc/registration`, challenge),
    );
  }

  /** The bound credential a request carries (the first cookie of that name). */
  credentialOf(request: HttpRequestLike): string | undefined {
    const header = request.headers.cookie;
    return typeof header === 'string' ? cookieValues(header, this.credentialName, 1)[0] : undefined;
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
    if (!this.enabled) throw new SessionAuthError('NOT_FOUND');
    const proof = verifyDbscRegistration(readSfString(request, DBSC_HEADERS.response));
    if (typeof proof === 'string') throw registrationInvalid(proof);
    const session = await this.rotation.sessionOf(refreshTokens[0]);
    if (!this.isFreshChallenge(proof.jti, 'registration', session.id))
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
    return { issued, thumbprint, config: this.config(session.id) };
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
    if (!this.enabled) throw new SessionAuthError('NOT_FOUND');
    const sessionId = readSfString(request, DBSC_HEADERS.sessionId);
    if (!sessionId) throw refreshInvalid(`the ${DBSC_HEADERS.sessionId} header is missing`);
    const session = await this.rotation.sessionOf(refreshTokens[0]).catch(notOurs);
    const key = session && this.liveKey(session, sessionId);
    if (!session || !key) {
      this.clearCredential(response);
      return END;
    }
    const raw = readSfString(request, DBSC_HEADERS.response);
    if (raw === undefined) return this.challenge(response, session.id);
    const proof = verifyDbscRefresh(raw, key);
    if (typeof proof === 'string') {
      if (isSignatureProblem(proof)) {
        this.clearCredential(response);
        return this.rotation.refuseAsTheft(session, context);
      }
      throw refreshInvalid(proof);
    }
    const fresh =
      this.isFreshChallenge(proof.jti, 'refresh', session.id) &&
      (await this.replays.firstUse(key.thumbprint, `dbsc:${proof.jti}`, CHALLENGE_REPLAY_TTL_MS));
    if (!fresh) return this.challenge(response, session.id);
    this.setCredential(response, session.id, key.thumbprint);
    return this.config(session.id);
  }

  /** Sets the bound credential (after a proof by the session's key). */
  setCredential(response: HttpResponseLike, sessionId: string, thumbprint: string): void {
    setResponseHeader(response, 'Cache-Control', 'no-store');
    appendSetCookie(
      response,
      serialize(this.credentialName, this.credentials.issue(sessionId, thumbprint), {
        ...this.cookieFlags(),
        maxAge: DBSC_CREDENTIAL_TTL_SECONDS,
      }),
    );
  }

  /** Clears the bound credential (sign-out, an ended session). Nothing when DBSC is off. */
  clearCredential(response: HttpResponseLike): void {
    if (!this.enabled) return;
    appendSetCookie(
      response,
      serialize(this.credentialName, '', { ...this.cookieFlags(), expires: new Date(0) }),
    );
  }

  /** The session configuration: this session, its refresh route, its one bound cookie. */
  private config(sessionId: string): DbscSessionConfig {
    const { cookiePath, cookieSecure } = this.options;
    return {
      session_identifier: sessionId,
      refresh_url: `${this.routePath}/dbsc/refresh`,
      scope: { include_site: false, scope_specification: [] },
      credentials: [
        {
          type: 'cookie',
          name: this.credentialName,
          attributes: `Path=${cookiePath};${cookieSecure ? ' Secure;' : ''} HttpOnly; SameSite=Strict`,
        },
      ],
    };
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

  private challenge(response: HttpResponseLike, sessionId: string): never {
    const challenge = this.issueChallenge('refresh', sessionId);
    setResponseHeader(response, DBSC_HEADERS.challenge, challengeHeader(challenge, sessionId));
    throw new SessionAuthError('DBSC_PROOF_REQUIRED');
  }

  /**
   * A challenge for one use (`registration` or `refresh`) of one session: a random salt and a
   * stateless nonce MACed with both, so any instance checks it, no two are alike (a used one is
   * remembered and refused) and one issued for another session or use is refused.
   */
  private issueChallenge(use: 'registration' | 'refresh', sessionId: string): string {
    const salt = randomBytes(SALT_BYTES).toString('base64url');
    return salt + this.challenges.issue(Date.now(), `${use}:${sessionId}:${salt}`);
  }

  private isFreshChallenge(
    challenge: string,
    use: 'registration' | 'refresh',
    sessionId: string,
  ): boolean {
    const salt = challenge.slice(0, SALT_CHARS);
    const nonce = challenge.slice(SALT_CHARS);
    return this.challenges.isFresh(nonce, Date.now(), `${use}:${sessionId}:${salt}`);
  }

  private cookieFlags() {
    return sessionCookieFlags(this.options);
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
