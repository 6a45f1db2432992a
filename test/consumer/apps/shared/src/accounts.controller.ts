import {
  Body,
  Controller,
  Get,
  HttpCode,
  Post,
  Req,
  Res,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import {
  type AuthenticatedSession,
  CurrentSession,
  CurrentUser,
  Public,
  RefreshTokenTransport,
  SessionAuthGuard,
  SessionService,
  sessionContextOf,
} from 'nestjs-session-auth';
import type { HttpRequest, HttpResponse } from './http-types.js';

// What an adopter writes next to the library: its own users and its own sign-in route. Two fixed
// accounts (the test signs in as both) keep the app free of a users table.
const PASSWORD = 'correct horse battery staple';
const USER_IDS: Record<string, string> = { ada: 'user-ada', grace: 'user-grace' };

@Controller()
export class AccountsController {
  private readonly passwordHash: Promise<string>;

  constructor(
    private readonly sessions: SessionService,
    private readonly transport: RefreshTokenTransport,
  ) {
    this.passwordHash = sessions.hashPassword(PASSWORD);
  }

  @Post('login')
  @Public() // for apps that register SessionAuthGuard globally
  @HttpCode(200)
  async login(
    @Body() body: { username?: unknown; password?: unknown } | undefined,
    @Req() request: HttpRequest,
    @Res({ passthrough: true }) response: HttpResponse,
  ) {
    const userId = typeof body?.username === 'string' ? USER_IDS[body.username] : undefined;
    const password = typeof body?.password === 'string' ? body.password : '';
    // An unknown user still spends one bcrypt compare (verifyPassword with no hash).
    const valid = await this.sessions.verifyPassword(
      password,
      userId ? await this.passwordHash : undefined,
    );
    if (!userId || !valid) throw new UnauthorizedException('wrong username or password');
    const issued = await this.sessions.createSession(userId, sessionContextOf(request));
    return this.transport.write(response, issued);
  }

  @Get('me')
  @UseGuards(SessionAuthGuard)
  me(@CurrentUser() userId: string, @CurrentSession() session: AuthenticatedSession) {
    return { userId, sessionId: session.sessionId };
  }
}
