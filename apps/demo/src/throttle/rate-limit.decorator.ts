import { SetMetadata } from '@nestjs/common';

/** The demo's throttlers (see app.module.ts for their limits). */
export type DemoThrottler = 'login' | 'login-ip' | 'refresh';

export const RATE_LIMITS_KEY = 'demo:rate-limits';

/**
 * Declares which throttlers govern a route. The limit follows the handler, so every spelling that
 * Express routes to it (any case, a trailing slash) counts against the same limit.
 */
export const RateLimit = (...throttlers: DemoThrottler[]) =>
  SetMetadata(RATE_LIMITS_KEY, throttlers);

/** Sign-in attempts: per IP and email, and per IP over all emails. */
export const SIGN_IN_LIMITS: DemoThrottler[] = ['login', 'login-ip'];
