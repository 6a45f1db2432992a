import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { FRESH_SESSION_KEY, IS_PUBLIC_KEY, REQUEST_AUTH_KEY } from '../session-auth.constants.js';
import { SessionService } from '../sessions/session.service.js';

interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  [REQUEST_AUTH_KEY]?: unknown;
}

/**
 * Verifies the Bearer access token and that its session is still live, on every request. Use it
 * per route (`@UseGuards(SessionAuthGuard)`) or globally with `@Public()` opt-outs.
 */
@Injectable()
export class SessionAuthGuard implements CanActivate {
  private readonly logger = new Logger('SessionAuthGuard');

  constructor(
    protected readonly sessions: SessionService,
    protected readonly reflector: Reflector,
    protected readonly metrics: SessionMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const started = performance.now();
    let result = 'allowed';
    try {
      const request = context.switchToHttp().getRequest<GuardedRequest>();
      const auth = await this.sessions.verifyAccessToken(this.getToken(request));
      const freshSeconds = this.reflector.getAllAndOverride<number | undefined>(
        FRESH_SESSION_KEY,
        targets,
      );
      if (freshSeconds !== undefined && Date.now() - auth.authenticatedAt > freshSeconds * 1000) {
        throw new SessionAuthError('SESSION_NOT_FRESH');
      }
      request[REQUEST_AUTH_KEY] = auth;
      this.touch(auth.sessionId);
      return true;
    } catch (error) {
      result = error instanceof SessionAuthError ? error.code : 'error';
      throw error;
    } finally {
      this.metrics.guardDecisions.inc({ result });
      this.metrics.guardDuration.observe({ result }, (performance.now() - started) / 1000);
    }
  }

  private touch(sessionId: string): void {
    // Last-activity is bookkeeping: never make the request wait for it or fail because of it.
    this.sessions
      .touchSession(sessionId)
      .catch((error: Error) => this.logger.warn(`touch failed: ${error.message}`));
  }

  /** Where the token comes from; override to read it elsewhere. */
  protected getToken(request: GuardedRequest): string | undefined {
    const header = request.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    // A header that is there but not "Bearer <token>" is an invalid token, not a missing one.
    return match?.[1] ?? (header.trim() || undefined);
  }
}
