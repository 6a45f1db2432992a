import { type ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import { SessionAuthError } from 'nestjs-session-auth';
import { type DemoThrottler, RATE_LIMITS_KEY } from './rate-limit.decorator.js';

/**
 * Limits of the library's routes, which the demo cannot decorate: found by the route Express
 * matched (its pattern, not the URL as spelled), so every spelling of a route shares its limit.
 */
const LIBRARY_ROUTE_LIMITS: Record<string, DemoThrottler[]> = {
  // Refresh tokens must not be guessable at speed.
  '/auth/refresh': ['refresh'],
  // The DBSC routes check a signature before any session is read: the same budget per IP.
  '/auth/dbsc/registration': ['refresh'],
  '/auth/dbsc/refresh': ['refresh'],
};

/** Shared: an unlimited route's answer costs no new promise. */
const UNLIMITED = Promise.resolve(true);

/**
 * Applies to each route only the throttlers it declares with `@RateLimit()`: sign-in attempts per
 * IP and email (so one address cannot lock out another's account), per IP over all emails
 * (credential stuffing, a higher limit), and refreshes per IP. Routes that declare none pass.
 */
@Injectable()
export class DemoThrottlerGuard extends ThrottlerGuard {
  /** Each route's throttlers, per controller class and handler: metadata is fixed at start-up. */
  private readonly declared = new WeakMap<object, Map<object, DemoThrottler[]>>();

  /**
   * This guard is global, but most routes declare no limit: they pass at once, without the
   * throttler's metadata look-ups (five per throttler) and its promise chain.
   */
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.throttlersOf(context).length === 0) return UNLIMITED;
    return super.canActivate(context);
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    if (!this.throttlersOf(props.context).includes(props.throttler.name as DemoThrottler))
      return true;
    return super.handleRequest(props);
  }

  /** Default tracker: IP and email (the `login` throttler); the others track the IP alone. */
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const email = typeof req.body?.email === 'string' ? req.body.email.toLowerCase() : '';
    return `${req.ip}|${email}`;
  }

  /** A 429 with the standard `Retry-After` (the throttler itself only sends `Retry-After-<name>`). */
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new SessionAuthError('RATE_LIMITED', undefined, {
      retryAfterSeconds: detail.timeToBlockExpire,
    });
  }

  private throttlersOf(context: ExecutionContext): DemoThrottler[] {
    const byHandler = this.declared.get(context.getClass()) ?? new Map<object, DemoThrottler[]>();
    this.declared.set(context.getClass(), byHandler);
    let throttlers = byHandler.get(context.getHandler());
    if (!throttlers) byHandler.set(context.getHandler(), (throttlers = this.resolve(context)));
    return throttlers;
  }

  private resolve(context: ExecutionContext): DemoThrottler[] {
    const handler = context.getHandler();
    const declared = this.reflector.getAllAndOverride<DemoThrottler[] | undefined>(
      RATE_LIMITS_KEY,
      [handler, context.getClass()],
    );
    if (declared) return declared;
    const route = context.switchToHttp().getRequest<{ route?: { path?: unknown } }>().route?.path;
    return (typeof route === 'string' && LIBRARY_ROUTE_LIMITS[route]) || [];
  }
}
