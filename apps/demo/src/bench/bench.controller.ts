import { Controller, Get, ParseIntPipe, Post, Query, UseGuards } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { CurrentSession, type AuthenticatedSession, SessionAuthGuard } from 'nestjs-session-auth';

/** Longest a request may hold the event loop (POST /bench/busy). */
const MAX_BUSY_MS = 5000;

/**
 * Three routes that differ only in their guard, for `npm run bench`, and one that holds the event
 * loop: what a loaded instance looks like to the revocation tests.
 */
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

  /** Keeps this instance's event loop busy for `ms` (at most 5 s), then answers. */
  @Post('busy')
  busy(@Query('ms', ParseIntPipe) ms: number) {
    const until = performance.now() + Math.min(Math.max(ms, 0), MAX_BUSY_MS);
    while (performance.now() < until) {
      // spin: nothing else runs on this thread meanwhile
    }
    return { ok: true };
  }
}
