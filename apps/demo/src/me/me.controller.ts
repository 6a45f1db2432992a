import { Controller, Get, UseGuards } from '@nestjs/common';
import { type AuthenticatedSession, CurrentSession, SessionAuthError, SessionAuthGuard } from '#session-auth';
import { UsersService } from '../users/users.service.js';

@Controller('me')
@UseGuards(SessionAuthGuard)
export class MeController {
  constructor(private readonly users: UsersService) {}

  /** The signed-in user and the session this request belongs to. */
  @Get()
  async me(@CurrentSession() auth: AuthenticatedSession) {
    const user = await this.users.findById(auth.userId);
    // A deleted account's tokens die with it.
    if (!user) throw new SessionAuthError('SESSION_REVOKED');
    return { ...user, sessionId: auth.sessionId };
  }
}
