import { Controller, Get, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { CurrentSession, type AuthenticatedSession, SessionAuthGuard } from 'nestjs-session-auth';

/** Three routes that differ only in their guard, for `npm run bench`. */
@Controller('bench')
export class BenchController {
  @Get('unguarded')
  unguarded() {
    return { ok: true };
  }

  @Get('session-guard')
  @UseGuards(SessionAuthGuard)
  sessionGuard(@CurrentSession() auth: AuthenticatedSession) {
    return { ok: true, sessionId: auth.sessionId };
  }

  @Get('passport-jwt')
  @UseGuards(AuthGuard('stock-jwt'))
  passport() {
    return { ok: true };
  }
}
