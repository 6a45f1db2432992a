import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  type AuthenticatedSession,
  CurrentSession,
  RequireDeviceProof,
  SessionAuthError,
  SessionService,
  SessionAuthGuard,
} from 'nestjs-session-auth';
import { ApiErrors } from '../http/api-docs.js';
import { UsersService } from '../users/users.service.js';

@ApiTags('account')
@ApiBearerAuth()
@Controller('me')
@UseGuards(SessionAuthGuard)
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
  ) {}

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
    return { ...(await this.userOf(auth)), sessionId: auth.sessionId };
  }

  /**
   * Exports the account (the user and their live sessions): personal data, so a copied access token
   * is not enough. The session must be bound to a device key (DPoP), and the request carries a
   * `DPoP` proof by that key naming this token (`ath`) and the last `DPoP-Nonce`.
   */
  @Get('export')
  @RequireDeviceProof()
  @ApiOkResponse({ description: '`{ user: { id, email, name }, sessions: SessionView[] }`' })
  @ApiErrors(
    'ACCESS_TOKEN_MISSING',
    'ACCESS_TOKEN_INVALID',
    'SESSION_REVOKED',
    'DEVICE_KEY_REQUIRED',
    'DPOP_PROOF_INVALID',
    'DPOP_NONCE_REQUIRED',
    'DPOP_PROOF_REPLAYED',
  )
  async export(@CurrentSession() auth: AuthenticatedSession) {
    const user = await this.userOf(auth);
    return { user, sessions: await this.sessions.getActiveSessions(auth.userId, auth.sessionId) };
  }

  private async userOf(auth: AuthenticatedSession) {
    const user = await this.users.findById(auth.userId);
    // A deleted account's tokens die with it.
    if (!user) throw new SessionAuthError('SESSION_REVOKED');
    return user;
  }
}
