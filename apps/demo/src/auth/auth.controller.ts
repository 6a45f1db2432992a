import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import {
  type IssuedSessionBody,
  RefreshTokenTransport,
  SessionService,
  sessionContextOf,
} from 'nestjs-session-auth';
import { ApiErrors, SignedInDoc } from '../http/api-docs.js';
import { clientGoneSignal } from '../http/client-gone.js';
import type { Request, Response } from 'express';
import { type UserView, UsersService } from '../users/users.service.js';
import { RateLimit, SIGN_IN_LIMITS } from '../throttle/rate-limit.decorator.js';
import { LoginDto, RegisterDto } from './dto/credentials.dto.js';

type SignedIn = IssuedSessionBody & { user: UserView };

/** Sign-up and sign-in; the library's controller serves the other /auth routes. */
@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly transport: RefreshTokenTransport,
  ) {}

  @Post('register')
  @RateLimit(...SIGN_IN_LIMITS)
  @ApiCreatedResponse({
    type: SignedInDoc,
    description: 'Signed in; sets the refresh cookie; also carries `user`',
  })
  @ApiErrors('VALIDATION_FAILED', 'EMAIL_TAKEN', 'RATE_LIMITED', 'SERVER_BUSY')
  async register(
    @Body() body: RegisterDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SignedIn> {
    const user = await this.users.register(body.email, body.password, body.name, {
      signal: clientGoneSignal(res),
    });
    return this.signIn(user, body.deviceName, req, res);
  }

  @Post('login')
  @RateLimit(...SIGN_IN_LIMITS)
  @HttpCode(200)
  @ApiOkResponse({
    type: SignedInDoc,
    description: 'Signed in; sets the refresh cookie; also carries `user`',
  })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'SERVER_BUSY')
  async login(
    @Body() body: LoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SignedIn> {
    const user = await this.users.authenticate(body.email, body.password, {
      signal: clientGoneSignal(res),
    });
    return this.signIn(user, body.deviceName, req, res);
  }

  private async signIn(
    user: UserView,
    deviceName: string | undefined,
    req: Request,
    res: Response,
  ): Promise<SignedIn> {
    const issued = await this.sessions.createSession(user.id, sessionContextOf(req, deviceName));
    return { user, ...this.transport.write(res, issued) };
  }
}
