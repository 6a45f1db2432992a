import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SessionAuthError } from '../errors/session-auth.error.js';
import { SessionMetrics } from '../metrics/session-metrics.js';
import { FRESH_SESSION_KEY, IS_PUBLIC_KEY, REQUEST_AUTH_KEY } from '../session-auth.constants.js';
import { SessionService } from '../sessions/session.service.js';
import { type AuthTarget, authTargetOf } from './auth-target.js';

/**
 * Verifies the access token and that its session is still live, on every request. Use it per
 * route (`@UseGuards(SessionAuthGuard)`) or globally with `@Public()` opt-outs. It serves HTTP
 * (Express and Fastify: `Authorization: Bearer`), an app's own WebSocket gateways (the token from
 * the socket.io handshake's `auth.token`, checked again on every message, so a revoked session's
 * messages are refused) and GraphQL (the context's `req`; override {@link getRequest} for another
 * context shape, as with nestjs/throttler's guard).
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
      const request = this.getRequest(context);
      if (!request) throw new SessionAuthError('ACCESS_TOKEN_MISSING');
      const auth = await this.sessions.verifyAccessToken(this.getToken(request));
      const freshSeconds = this.reflector.getAllAndOverride<number | undefined>(
        FRESH_SESSION_KEY,
        targets,
      );
      if (freshSeconds !== undefined && Date.now() - auth.authenticatedAt > freshSeconds * 1000) {
        throw new SessionAuthError('SESSION_NOT_FRESH');
      }
      (request as Record<string, unknown>)[REQUEST_AUTH_KEY] = auth;
      this.touch(auth.sessionId);
      return true;
    } catch (error) {
      result = error instanceof SessionAuthError ? error.code : 'error';
      if (context.getType() === 'ws' && error instanceof SessionAuthError)
        throw await toWsException(error);
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

  /** The object that carries the token and receives the session; override for other contexts. */
  protected getRequest(context: ExecutionContext): AuthTarget | undefined {
    return authTargetOf(context);
  }

  /** Where the token comes from; override to read it elsewhere. */
  protected getToken(request: AuthTarget): string | undefined {
    if (request.handshake) {
      const token = request.handshake.auth?.token;
      return typeof token === 'string' && token.length > 0 ? token : undefined;
    }
    const header = request.headers?.authorization;
    if (typeof header !== 'string') return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    // A header that is there but not "Bearer <token>" is an invalid token, not a missing one.
    return match?.[1] ?? (header.trim() || undefined);
  }
}

/** A WebSocket client gets the error body as its `exception` event (Nest's WsException). */
async function toWsException(error: SessionAuthError): Promise<Error> {
  const { WsException } = await import('@nestjs/websockets');
  return new WsException(error.getResponse() as object);
}
