import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentSession } from '../decorators/current-session.decorator.js';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SessionAuthGuard } from '../guards/session-auth.guard.js';
import { type AuthenticatedSession, SessionService } from '../sessions/session.service.js';
import type { SessionView } from '../sessions/session-view.js';
import { type IssuedSessionBody, RefreshTokenTransport } from './refresh-token-transport.js';
import { sessionContextOf } from './request-context.js';

/** The session routes: refresh, logout, list and terminate. Mounted at `routePath` (default `auth`). */
@Controller('auth')
export class SessionAuthController {
  constructor(
    private readonly sessions: SessionService,
    private readonly transport: RefreshTokenTransport,
  ) {}

  /** Rotates the refresh token (cookie or body) and issues a fresh access token. */
  @Post('refresh')
  @HttpCode(200)
  async refresh(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<IssuedSessionBody> {
    const issued = await this.sessions.rotateRefreshToken(this.transport.read(request), sessionContextOf(request));
    return this.transport.write(response, issued);
  }

  /** Ends the current session and clears the refresh cookie. */
  @Post('logout')
  @HttpCode(204)
  @UseGuards(SessionAuthGuard)
  async logout(@CurrentSession() auth: AuthenticatedSession, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.sessions.terminateSession(auth.sessionId, auth.userId, 'LOGOUT');
    this.transport.clear(response);
  }

  /** The caller's live sessions; `current` marks this one. */
  @Get('sessions')
  @UseGuards(SessionAuthGuard)
  list(@CurrentSession() auth: AuthenticatedSession): Promise<SessionView[]> {
    return this.sessions.getActiveSessions(auth.userId, auth.sessionId);
  }

  /** Ends one of the caller's sessions; 404 for any id that is not theirs. */
  @Delete('sessions/:id')
  @HttpCode(204)
  @UseGuards(SessionAuthGuard)
  async terminate(@CurrentSession() auth: AuthenticatedSession, @Param('id') id: string): Promise<void> {
    const reason = id === auth.sessionId ? 'LOGOUT' : 'TERMINATED';
    await this.sessions.terminateSession(id, auth.userId, reason);
  }

  /** Ends the caller's other sessions (`scope=others`) or all of them (`scope=all`). */
  @Delete('sessions')
  @HttpCode(204)
  @UseGuards(SessionAuthGuard)
  async terminateMany(@CurrentSession() auth: AuthenticatedSession, @Query('scope') scope: unknown): Promise<void> {
    if (scope === 'others') await this.sessions.terminateOtherSessions(auth.userId, auth.sessionId);
    else if (scope === 'all') await this.sessions.terminateAllSessions(auth.userId);
    else throw new SessionAuthError('VALIDATION_FAILED', 'scope must be "others" or "all"');
  }
}
