import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { serialize } from 'cookie';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { cookieValues, sessionCookieFlags } from '../http/cookie-values.js';
import {
  appendSetCookie,
  type HttpRequestLike,
  type HttpResponseLike,
  setResponseHeader,
} from '../http/http-types.js';
import {
  SESSION_AUTH_RESOLVED_OPTIONS,
  SESSION_AUTH_ROUTE_PATH,
} from '../session-auth.internal-tokens.js';
import { DbscCredentials, DBSC_CREDENTIAL_TTL_SECONDS } from './dbsc-credential.js';
import { challengeHeader, DBSC_HEADERS, registrationHeader } from './dbsc-headers.js';
import { ProofNonces } from './proof-nonce.js';

/** Seconds a DBSC challenge stays fresh (the draft lets a proof answer a slightly older one). */
export const DBSC_CHALLENGE_TTL_SECONDS = 300;

/** Random bytes in front of each challenge (12 base64url characters). */
const SALT_BYTES = 9;
const SALT_CHARS = 12;

/** The session configuration a registration or refresh answers with (the draft's JSON). */
export interface DbscSessionConfig {
  session_identifier?: string;
  refresh_url?: string;
  continue?: boolean;
  scope?: { include_site: boolean; scope_specification: unknown[] };
  credentials?: { type: 'cookie'; name: string; attributes: string }[];
}

/**
 * What DBSC adds to HTTP answers, with no session read: the registration header, the stateless
 * challenges, the bound-credential cookie and the session configuration. The refresh-token
 * transport offers registration through it on every sign-in; `DbscService` runs the two routes.
 */
@Injectable()
export class DbscResponses {
  private readonly challenges: ProofNonces;
  private readonly credentials: DbscCredentials;
  private readonly routePath: string;

  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    @Inject(SESSION_AUTH_ROUTE_PATH) routePath: string,
  ) {
    const secrets = options.refreshTokenKeys.map((k) => k.key);
    this.challenges = new ProofNonces(
      secrets,
      DBSC_CHALLENGE_TTL_SECONDS,
      'session-auth/dbsc-challenge-key/v1',
    );
    this.credentials = new DbscCredentials(secrets);
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
  config(sessionId: string): DbscSessionConfig {
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

  /** Answers 403 `DBSC_PROOF_REQUIRED` with a fresh refresh challenge for the session. */
  challenge(response: HttpResponseLike, sessionId: string): never {
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

  isFreshChallenge(challenge: string, use: 'registration' | 'refresh', sessionId: string): boolean {
    const salt = challenge.slice(0, SALT_CHARS);
    const nonce = challenge.slice(SALT_CHARS);
    return this.challenges.isFresh(nonce, Date.now(), `${use}:${sessionId}:${salt}`);
  }

  private cookieFlags() {
    return sessionCookieFlags(this.options);
  }
}
