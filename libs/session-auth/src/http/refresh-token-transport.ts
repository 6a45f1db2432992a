import { Inject, Injectable } from '@nestjs/common';
import { parse as parseCookies, serialize } from 'cookie';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../config/session-auth.options.js';
import type { IssuedSession } from '../sessions/session.service.js';
import type { SessionView } from '../sessions/session-view.js';
import { DeviceProofService } from '../binding/device-proof.service.js';
import { appendSetCookie, type HttpRequestLike, type HttpResponseLike } from './http-types.js';

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
  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
    private readonly proofs: DeviceProofService,
  ) {}

  /** The presented refresh token; the cookie wins when both are allowed and present. */
  read(request: HttpRequestLike): unknown {
    const { refreshTransport } = this.options;
    if (refreshTransport !== 'body') {
      const header = request.headers.cookie;
      const fromCookie =
        typeof header === 'string' ? parseCookies(header)[this.options.cookieName] : undefined;
      if (fromCookie) return fromCookie;
    }
    if (refreshTransport !== 'cookie') {
      const body: unknown = request.body;
      if (body && typeof body === 'object' && 'refreshToken' in body) return body.refreshToken;
    }
    return undefined;
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
   * and builds the body.
   */
  write(response: HttpResponseLike, issued: IssuedSession): IssuedSessionBody {
    this.offerProofNonce(response);
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

  /** Clears the cookie (sign-out). */
  clear(response: HttpResponseLike): void {
    if (this.options.refreshTransport !== 'body') {
      appendSetCookie(
        response,
        serialize(this.options.cookieName, '', { ...this.cookieFlags(), expires: new Date(0) }),
      );
    }
  }

  private cookieFlags() {
    return {
      httpOnly: true,
      secure: this.options.cookieSecure,
      sameSite: 'strict' as const,
      path: this.options.cookiePath,
    };
  }
}
