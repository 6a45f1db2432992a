import { Injectable } from '@nestjs/common';
import { serialize } from 'cookie';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import { type IssuedSession, SessionService } from '../sessions/session.service.js';
import type { SessionView } from '../sessions/session-view.type.js';
import { serviceInternalsOf } from '../sessions/service-internals.js';
import type { DeviceProofService } from '../binding/device-proof.service.js';
import type { DbscResponses } from '../binding/dbsc-responses.js';
import {
  appendSetCookie,
  type HttpRequestLike,
  type HttpResponseLike,
  setResponseHeader,
} from './http-types.js';
import { cookieValues, sessionCookieFlags } from './cookie-values.js';

/**
 * How many refresh cookies of the configured name are tried: a sibling subdomain can plant more
 * of the same name (a parent-domain cookie with a longer path is sent first), and each one that
 * looks like a token may cost a lookup.
 */
export const MAX_REFRESH_COOKIES = 4;

/** The JSON a sign-in or refresh answers with (the refresh token only with body transport). */
export interface IssuedSessionBody {
  /** JWT for `Authorization: Bearer`. */
  accessToken: string;
  /** When the access token expires (ISO 8601). */
  accessTokenExpiresAt: string;
  /** The session it belongs to. */
  session: SessionView;
  /** The new refresh token, only with refresh transport `body` or `both`. */
  refreshToken?: string;
}

/**
 * Reads and writes the refresh token per `refreshTransport`: an HttpOnly cookie, the JSON body, or
 * both. Works on Express and Fastify (it writes the `Set-Cookie` header itself).
 *
 * @example
 * ```ts
 * const issued = await sessions.createSession(user.id, sessionContextOf(request));
 * return transport.write(response, issued); // with @Res({ passthrough: true }) response
 * ```
 */
@Injectable()
export class RefreshTokenTransport {
  private readonly options: ResolvedSessionAuthOptions;
  private readonly proofs: DeviceProofService;
  private readonly dbsc: DbscResponses;

  /** Takes the options, device proofs and DBSC answers of the module that made `sessions`. */
  constructor(sessions: SessionService) {
    ({
      options: this.options,
      proofs: this.proofs,
      dbsc: this.dbsc,
    } = serviceInternalsOf(sessions));
  }

  /** The presented refresh token (the first of {@link readAll}); the cookie wins over the body. */
  read(request: HttpRequestLike): unknown {
    return this.readAll(request)[0];
  }

  /**
   * Every refresh token the request presents, for `SessionService.rotateRefreshToken` to try in
   * order: each cookie of the configured name (a request can carry duplicates; the first 4),
   * else the body's `refreshToken`; empty when there is none.
   */
  readAll(request: HttpRequestLike): unknown[] {
    const { refreshTransport } = this.options;
    if (refreshTransport !== 'body') {
      const header = request.headers.cookie;
      const fromCookies =
        typeof header === 'string'
          ? cookieValues(header, this.options.cookieName, MAX_REFRESH_COOKIES)
          : [];
      if (fromCookies.length > 0) return fromCookies;
    }
    if (refreshTransport !== 'cookie') {
      const body: unknown = request.body;
      if (body && typeof body === 'object' && 'refreshToken' in body) return [body.refreshToken];
    }
    return [];
  }

  /**
   * Hands the client a fresh server nonce for its next device proof (`DPoP-Nonce`); `write` does
   * it too. Nothing when `deviceBinding` is `'off'`.
   */
  offerProofNonce(response: HttpResponseLike): void {
    this.proofs.offerNonce(response);
  }

  /**
   * Sets the cookie (Max-Age = the session's remaining absolute lifetime), offers a proof nonce
   * (and, for a session not bound to a device key, a DBSC registration) and builds the body. The answer carries tokens, so it is marked `Cache-Control: no-store`
   * (no shared or browser cache keeps a copy).
   */
  write(response: HttpResponseLike, issued: IssuedSession): IssuedSessionBody {
    this.offerProofNonce(response);
    this.dbsc.offerRegistration(response, issued.session);
    setResponseHeader(response, 'Cache-Control', 'no-store');
    if (this.options.refreshTransport !== 'body') {
      appendSetCookie(
        response,
        serialize(this.options.cookieName, issued.refreshToken, {
          ...this.cookieFlags(),
          maxAge: issued.refreshTokenMaxAge,
          expires: new Date(Date.now() + issued.refreshTokenMaxAge * 1000),
        }),
      );
    }
    return {
      accessToken: issued.accessToken,
      accessTokenExpiresAt: issued.accessTokenExpiresAt.toISOString(),
      session: issued.session,
      ...(this.options.refreshTransport === 'cookie' ? {} : { refreshToken: issued.refreshToken }),
    };
  }

  /** Clears the cookie (sign-out), and the DBSC bound credential. */
  clear(response: HttpResponseLike): void {
    this.dbsc.clearCredential(response);
    if (this.options.refreshTransport !== 'body') {
      appendSetCookie(
        response,
        serialize(this.options.cookieName, '', { ...this.cookieFlags(), expires: new Date(0) }),
      );
    }
  }

  private cookieFlags() {
    return sessionCookieFlags(this.options);
  }
}
