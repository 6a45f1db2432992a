import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import type { Request } from 'express';

/** The demo's throttlers (see app.module.ts for their limits). */
export type DemoThrottler = 'login' | 'login-ip' | 'refresh';

/** Which throttlers govern a request: sign-in attempts and refreshes are limited, nothing else. */
function throttlersFor(req: Request): DemoThrottler[] {
  if (req.method !== 'POST') return [];
  // Changing the password re-checks the current one: as guessable as a sign-in.
  if (['/auth/login', '/auth/register', '/auth/password'].includes(req.path))
    return ['login', 'login-ip'];
  if (req.path === '/auth/refresh') return ['refresh'];
  return [];
}

/**
 * Limits sign-in attempts per IP and email (so one address cannot lock out another's account),
 * sign-in attempts per IP over all emails (credential stuffing, a higher limit), and refreshes per
 * IP (so refresh tokens cannot be guessed at speed). Other routes pass untouched.
 */
@Injectable()
export class DemoThrottlerGuard extends ThrottlerGuard {
  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    const req = props.context.switchToHttp().getRequest<Request>();
    if (!throttlersFor(req).includes(props.throttler.name as DemoThrottler)) return true;
    return super.handleRequest(props);
  }

  /** Default tracker: IP and email (the `login` throttler); the others track the IP alone. */
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const email = typeof req.body?.email === 'string' ? req.body.email.toLowerCase() : '';
    return `${req.ip}|${email}`;
  }
}
