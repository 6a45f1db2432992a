import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import type { Request } from 'express';

/** Which throttler, if any, governs a request: sign-in attempts and refreshes are limited. */
function throttlerFor(req: Request): 'login' | 'refresh' | undefined {
  if (req.method !== 'POST') return undefined;
  // Changing the password re-checks the current one: as guessable as a sign-in.
  if (['/auth/login', '/auth/register', '/auth/password'].includes(req.path)) return 'login';
  if (req.path === '/auth/refresh') return 'refresh';
  return undefined;
}

/**
 * Limits sign-in attempts per IP and email (so one address cannot lock out another's account) and
 * refreshes per IP (so refresh tokens cannot be guessed at speed). Other routes pass untouched.
 */
@Injectable()
export class DemoThrottlerGuard extends ThrottlerGuard {
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const req = props.context.switchToHttp().getRequest<Request>();
    if (throttlerFor(req) !== props.throttler.name) return true;
    return super.handleRequest(props);
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const email = typeof req.body?.email === 'string' ? req.body.email.toLowerCase() : '';
    return `${req.ip}|${email}`;
  }
}
