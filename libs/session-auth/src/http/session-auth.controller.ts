import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiQuery,
  ApiTags,
} from './openapi.js';
import { CurrentSession } from '../auth/current-session.decorator.js';
import { DEFAULT_ROUTE_PATH } from '../session-auth.constants.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { bearerTokenOf } from '../auth/bearer-token.js';
import { Public } from '../auth/public.decorator.js';
import { SessionAuthGuard } from '../auth/session-auth.guard.js';
import type { AuthenticatedSession } from '../sessions/session-verifier.js';
import { SessionService } from '../sessions/session.service.js';
import type { SessionView } from '../sessions/session-view.type.js';
import { ApiErrors, IssuedSessionDoc, SessionViewDoc } from './api-docs.js';
import type { HttpRequestLike, HttpResponseLike } from './http-types.js';
import { type IssuedSessionBody, RefreshTokenTransport } from './refresh-token-transport.js';
import { sessionContextOf } from './request-context.js';
import { DbscService } from '../binding/dbsc.service.js';
import type { DbscSessionConfig } from '../binding/dbsc-responses.js';

/** The session routes: refresh, logout, list and terminate. Mounted at `routePath` (default `auth`). */
@ApiTags('sessions')
@Controller(DEFAULT_ROUTE_PATH)
export class SessionAuthController {
  constructor(
    private readonly sessions: SessionService,
    private readonly transport: RefreshTokenTransport,
    private readonly dbsc: DbscService,
  ) {}

  /**
   * Rotates the refresh token (cookie or body) and issues a fresh access token. A session bound to
   * a device key needs a `DPoP` proof of it (with the nonce of the last `DPoP-Nonce` header).
   */
  @Post('refresh')
  @HttpCode(200)
  @ApiCookieAuth('refresh_token')
  @ApiBody({ required: false, schema: { properties: { refreshToken: { type: 'string' } } } })
  @ApiOkResponse({ type: IssuedSessionDoc, description: 'Sets a new refresh cookie' })
  @ApiErrors(
    'REFRESH_TOKEN_MISSING',
    'REFRESH_TOKEN_INVALID',
    'REFRESH_TOKEN_EXPIRED',
    'REFRESH_TOKEN_REUSED',
    'SESSION_REVOKED',
    'DEVICE_MISMATCH',
    'DEVICE_KEY_REQUIRED',
    'DPOP_PROOF_INVALID',
    'DPOP_NONCE_REQUIRED',
    'DPOP_PROOF_REPLAYED',
    'RATE_LIMITED',
    'DATABASE_UNAVAILABLE',
  )
  async refresh(
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: HttpResponseLike,
  ): Promise<IssuedSessionBody> {
    // Every answer, an error too, carries the nonce the next proof must name.
    this.transport.offerProofNonce(response);
    const issued = await this.sessions.rotateRefreshToken(
      this.transport.readAll(request),
      this.contextOf(request),
    );
    return this.transport.write(response, issued);
  }

  /**
   * DBSC registration (W3C draft): the browser's registration JWT in `Secure-Session-Response`,
   * answering the challenge of the `Secure-Session-Registration` header of a sign-in or refresh,
   * with the refresh cookie. Binds the session to the browser's key, rotates the refresh cookie,
   * sets the bound credential and answers with the session configuration.
   */
  @Post('dbsc/registration')
  @Public()
  @HttpCode(200)
  @ApiCookieAuth('refresh_token')
  @ApiOkResponse({ description: 'The DBSC session configuration; sets the bound credential' })
  @ApiErrors(
    'DBSC_REGISTRATION_INVALID',
    'REFRESH_TOKEN_MISSING',
    'REFRESH_TOKEN_INVALID',
    'SESSION_REVOKED',
    'DEVICE_ALREADY_BOUND',
    'RATE_LIMITED',
    'NOT_FOUND',
  )
  async dbscRegistration(
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: HttpResponseLike,
  ): Promise<DbscSessionConfig> {
    const { issued, thumbprint, config } = await this.dbsc.register(
      request,
      this.transport.readAll(request),
      this.contextOf(request),
    );
    this.transport.write(response, issued);
    this.dbsc.responses.setCredential(response, issued.session.id, thumbprint);
    return config;
  }

  /**
   * DBSC refresh (W3C draft): `Sec-Secure-Session-Id` and the refresh cookie; 403
   * `DBSC_PROOF_REQUIRED` with a `Secure-Session-Challenge`, then the retry signed by the session's
   * key (`Secure-Session-Response`) gets a new bound credential. A proof by another key is theft.
   */
  @Post('dbsc/refresh')
  @Public()
  @HttpCode(200)
  @ApiCookieAuth('refresh_token')
  @ApiOkResponse({ description: 'The DBSC session configuration (or `{"continue": false}`)' })
  @ApiErrors(
    'DBSC_PROOF_REQUIRED',
    'DBSC_REFRESH_INVALID',
    'REFRESH_TOKEN_REUSED',
    'RATE_LIMITED',
    'NOT_FOUND',
  )
  dbscRefresh(
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: HttpResponseLike,
  ): Promise<DbscSessionConfig> {
    return this.dbsc.refresh(
      request,
      response,
      this.transport.readAll(request),
      sessionContextOf(request),
    );
  }

  /**
   * Ends the current session and clears the refresh cookie: the access token's session, or, when
   * the access token is missing, expired or refused, the one the refresh token names (a page that
   * lost its in-memory token still signs out). Public, so that an app's global guard lets the
   * cookie-only request through; it checks the credentials itself.
   */
  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiCookieAuth('refresh_token')
  @ApiNoContentResponse({ description: 'Session ended, cookie cleared' })
  @ApiErrors(
    'ACCESS_TOKEN_MISSING',
    'ACCESS_TOKEN_INVALID',
    'ACCESS_TOKEN_EXPIRED',
    'SESSION_REVOKED',
    'REFRESH_TOKEN_INVALID',
  )
  async logout(
    @Req() request: HttpRequestLike,
    @Res({ passthrough: true }) response: HttpResponseLike,
  ): Promise<void> {
    const { sessionId, userId } =
      (await this.accessSessionOf(request)) ??
      (await this.sessions.sessionOfRefreshToken(this.transport.read(request)));
    try {
      await this.sessions.terminateSession(sessionId, userId, 'LOGOUT');
    } catch (error) {
      // Already ended (a concurrent request, or a retried logout): signed out all the same.
      if (!(error instanceof SessionAuthError && error.code === 'SESSION_NOT_FOUND')) throw error;
    }
    this.transport.clear(response);
  }

  /** The caller's live sessions; `current` marks this one. */
  @Get('sessions')
  @UseGuards(SessionAuthGuard)
  @ApiBearerAuth()
  @ApiOkResponse({ type: [SessionViewDoc] })
  @ApiErrors(
    'ACCESS_TOKEN_MISSING',
    'ACCESS_TOKEN_INVALID',
    'ACCESS_TOKEN_EXPIRED',
    'SESSION_REVOKED',
  )
  list(@CurrentSession() auth: AuthenticatedSession): Promise<SessionView[]> {
    return this.sessions.getActiveSessions(auth.userId, auth.sessionId);
  }

  /** Ends one of the caller's sessions; 404 for any id that is not theirs. */
  @Delete('sessions/:id')
  @HttpCode(204)
  @UseGuards(SessionAuthGuard)
  @ApiBearerAuth()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Session ended; its sockets are told and disconnected' })
  @ApiErrors('ACCESS_TOKEN_MISSING', 'ACCESS_TOKEN_INVALID', 'SESSION_REVOKED', 'SESSION_NOT_FOUND')
  async terminate(
    @CurrentSession() auth: AuthenticatedSession,
    @Param('id') id: string,
  ): Promise<void> {
    const reason = id === auth.sessionId ? 'LOGOUT' : 'TERMINATED';
    await this.sessions.terminateSession(id, auth.userId, reason);
  }

  /** Ends the caller's other sessions (`scope=others`) or all of them (`scope=all`). */
  @Delete('sessions')
  @HttpCode(204)
  @UseGuards(SessionAuthGuard)
  @ApiBearerAuth()
  @ApiQuery({ name: 'scope', enum: ['others', 'all'] })
  @ApiNoContentResponse({ description: 'Sessions ended' })
  @ApiErrors('VALIDATION_FAILED', 'ACCESS_TOKEN_MISSING', 'ACCESS_TOKEN_INVALID', 'SESSION_REVOKED')
  async terminateMany(
    @CurrentSession() auth: AuthenticatedSession,
    @Query('scope') scope: unknown,
  ): Promise<void> {
    if (scope === 'others') await this.sessions.terminateOtherSessions(auth.userId, auth.sessionId);
    else if (scope === 'all') await this.sessions.terminateAllSessions(auth.userId);
    else throw new SessionAuthError('VALIDATION_FAILED', 'scope must be "others" or "all"');
  }

  /** The session context of a refresh, with the DBSC bound credential it carries. */
  private contextOf(request: HttpRequestLike) {
    return {
      ...sessionContextOf(request),
      dbscCredential: this.dbsc.responses.credentialOf(request),
    };
  }

  /**
   * The verified session of the request's access token; `undefined` when that token is missing or
   * refused and a refresh token is there to fall back on (else the token's error).
   */
  private async accessSessionOf(
    request: HttpRequestLike,
  ): Promise<AuthenticatedSession | undefined> {
    try {
      return await this.sessions.verifyAccessToken(bearerTokenOf(request.headers.authorization));
    } catch (error) {
      const refused = error instanceof SessionAuthError && LOGOUT_FALLBACK.has(error.code);
      if (!refused || this.transport.read(request) === undefined) throw error;
      return undefined;
    }
  }
}

/** Refusals of the access token after which logout falls back to the refresh token. */
const LOGOUT_FALLBACK = new Set<string>([
  'ACCESS_TOKEN_MISSING',
  'ACCESS_TOKEN_INVALID',
  'ACCESS_TOKEN_EXPIRED',
  'SESSION_REVOKED',
]);
