import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  type AuthenticatedSession,
  CurrentSession,
  SessionAuthError,
  SessionAuthGuard,
} from 'nestjs-session-auth';
import { ApiErrors } from '../http/api-docs.js';
import { UsersService } from '../users/users.service.js';

@ApiTags('account')
@ApiBearerAuth()
@Controller('me')
@UseGuards(SessionAuthGuard)
export class MeController {
  constructor(private readonly users: UsersService) {}

  /** The signed-in user and the session this request belongs to. */
  @Get()
  @ApiOkResponse({ description: '`{ id, email, name, sessionId }`' })
  @ApiErrors(
    'ACCESS_TOKEN_MISSING',
    'ACCESS_TOKEN_INVALID',
    'ACCESS_TOKEN_EXPIRED',
    'SESSION_REVOKED',
  )
  async me(@CurrentSession() auth: AuthenticatedSession) {
    const user = await this.users.findById(auth.userId);
    // A deleted account's tokens die with it.
    if (!user) throw new SessionAuthError('SESSION_REVOKED');
    return { ...user, sessionId: auth.sessionId };
  }
}
