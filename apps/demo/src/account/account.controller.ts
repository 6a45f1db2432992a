import { Body, Controller, Delete, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import {
  type AuthenticatedSession,
  CurrentSession,
  RequireFreshSession,
  SessionAuthGuard,
  SessionService,
} from 'nestjs-session-auth';
import { ApiErrors } from '../http/api-docs.js';
import { clientGoneSignal } from '../http/client-gone.js';
import { ApiBearerAuth, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { RateLimit, SIGN_IN_LIMITS } from '../throttle/rate-limit.decorator.js';
import { UsersService } from '../users/users.service.js';
import type { Response } from 'express';
import { ChangePasswordDto } from './change-password.dto.js';

/** Deleting the account needs a password sign-in at most this many seconds old. */
export const ACCOUNT_DELETION_FRESHNESS_SECONDS = 300;

@ApiTags('account')
@ApiBearerAuth()
@Controller()
@UseGuards(SessionAuthGuard)
export class AccountController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

  /** Changes the password (the current one is re-checked) and signs out every other device unless asked not to. */
  @Post('auth/password')
  // Re-checks the current password: as guessable as a sign-in.
  @RateLimit(...SIGN_IN_LIMITS)
  @HttpCode(204)
  @ApiNoContentResponse({
    description: 'Password changed; other sessions ended unless keepOtherSessions',
  })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_CREDENTIALS',
    'SESSION_REVOKED',
    'RATE_LIMITED',
    'SERVER_BUSY',
  )
  async changePassword(
    @CurrentSession() auth: AuthenticatedSession,
    @Body() body: ChangePasswordDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.users.changePassword(auth.userId, body.currentPassword, body.newPassword, {
      signal: clientGoneSignal(res),
    });
    await this.sessions.passwordChanged(auth.userId, auth.sessionId, {
      keepOtherSessions: body.keepOtherSessions,
    });
  }

  /** Deletes the account and ends all its sessions; a sensitive action, so it needs a fresh sign-in. */
  @Delete('me')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Account deleted, every session ended' })
  @ApiErrors('SESSION_NOT_FRESH', 'SESSION_REVOKED')
  @RequireFreshSession(ACCOUNT_DELETION_FRESHNESS_SECONDS)
  async deleteAccount(@CurrentSession() auth: AuthenticatedSession): Promise<void> {
    await this.users.delete(auth.userId);
    await this.sessions.terminateAllSessions(auth.userId, 'TERMINATED_ALL');
  }
}
