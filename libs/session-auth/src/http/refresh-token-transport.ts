import { Inject, Injectable } from '@nestjs/common';
import { parse as parseCookies } from 'cookie';
import type { Request, Response } from 'express';
import { SESSION_AUTH_RESOLVED_OPTIONS } from '../session-auth.internal-tokens.js';
import type { ResolvedSessionAuthOptions } from '../session-auth.options.js';
import type { IssuedSession } from '../sessions/session.service.js';
import type { SessionView } from '../sessions/session-view.js';

/** The JSON a sign-in or refresh answers with (the refresh token only with body transport). */
export interface IssuedSessionBody {
  accessToken: string;
  accessTokenExpiresAt: string;
  session: SessionView;
  refreshToken?: string;
}

/** Reads and writes the refresh token per `refreshTransport`: an HttpOnly cookie, the JSON body, or both. */
@Injectable()
export class RefreshTokenTransport {
  constructor(
    @Inject(SESSION_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedSessionAuthOptions,
  ) {}

  /** The presented refresh token; the cookie wins when both are allowed and present. */
  read(request: Request): unknown {
    const { refreshTransport } = this.options;
    if (refreshTransport !== 'body') {
      const header = request.headers.cookie;
      const fromCookie = header ? parseCookies(header)[this.options.cookieName] : undefined;
      if (fromCookie) return fromCookie;
    }
    if (refreshTransport !== 'cookie') {
      const body: unknown = request.body;
      if (body && typeof body === 'object' && 'refreshToken' in body) return body.refreshToken;
    }
    return undefined;
  }

  /** Sets the cookie (Max-Age = the session's remaining absolute lifetime) and builds the body. */
  write(response: Response, issued: IssuedSession): IssuedSessionBody {
    if (this.options.refreshTransport !== 'body') {
      response.cookie(this.options.cookieName, issued.refreshToken, {
        ...this.cookieFlags(),
        maxAge: issued.refreshTokenMaxAge * 1000,
      });
    }
    return {
      accessToken: issued.accessToken,
      accessTokenExpiresAt: issued.accessTokenExpiresAt.toISOString(),
      session: issued.session,
      ...(this.options.refreshTransport === 'cookie' ? {} : { refreshToken: issued.refreshToken }),
    };
  }

  /** Clears the cookie (sign-out). */
  clear(response: Response): void {
    if (this.options.refreshTransport !== 'body')
      response.clearCookie(this.options.cookieName, this.cookieFlags());
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
