import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SessionAuthError } from '../errors/session-auth.error.js';
import type { AuthenticatedSession } from '../sessions/session-verifier.js';
import { type ServiceInternals, serviceInternalsOf } from '../sessions/service-internals.js';
import { SessionService } from '../sessions/session.service.js';
import { attachAuth, detachAuth } from './attached-auth.js';
import { type AuthTarget, authTargetOf } from './auth-target.js';
import { bearerTokenOf } from './bearer-token.js';
import { GuardRouteOptionsCache } from './guard-route-options.js';
import { checkDeviceProof } from './device-proof-check.js';
import { lazyModule } from '../utils/optional-peer.js';

/**
 * Verifies the access token and that its session is still live, on every request. Use it per
 * route (`@UseGuards(SessionAuthGuard)`) or globally with `@Public()` opt-outs. It serves HTTP
 * (Express and Fastify: `Authorization: Bearer`), an app's own WebSocket gateways (the token from
 * the socket.io handshake's `auth.token`, checked again on every message, so a revoked session's
 * messages are refused) and GraphQL (the context's `req`; override {@link getRequest} for another
 * context shape, as with nestjs/throttler's guard).
 *
 * Its dependencies are public (`SessionService`, `Reflector`), so a subclass works from outside:
 *
 * @example
 * ```ts
 * @Injectable()
 * class HeaderTokenGuard extends SessionAuthGuard {
 *   protected override getToken(request: AuthTarget): string | undefined {
 *     const header = request.headers?.['x-access-token'];
 *     return typeof header === 'string' ? header : super.getToken(request);
 *   }
 * }
 * ```
 */
@Injectable()
export class SessionAuthGuard implements CanActivate {
  private readonly routes: GuardRouteOptionsCache;
  /** The access check, metrics and proofs behind `sessions` (found on the first request). */
  private internals?: ServiceInternals;

  constructor(
    protected readonly sessions: SessionService,
    protected readonly reflector: Reflector,
  ) {
    this.routes = new GuardRouteOptionsCache(reflector);
  }

  /**
   * One call to the verifier: without a promise when this process holds a trusted copy of the
   * session's state (the common case on a busy route), else after the cache or PostgreSQL. Every
   * failure, thrown at once or later, refuses the request.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routes.of(context);
    if (route.isPublic) return true;
    const started = performance.now();
    let request: AuthTarget | undefined;
    try {
      request = this.getRequest(context);
      if (!request) throw new SessionAuthError('ACCESS_TOKEN_MISSING');
      const target = request;
      const token = this.getToken(target);
      const { verifier, proofs } = (this.internals ??= serviceInternalsOf(this.sessions));
      let admitted = verifier.admit(token, route.freshSeconds);
      // Only routes that ask pay for a proof; every other one takes the path below unchanged.
      if (route.deviceProof) admitted = checkDeviceProof(proofs, context, target, token!, admitted);
      if (!(admitted instanceof Promise)) return this.attach(context, target, admitted, started);
      return admitted
        .then((auth) => this.attach(context, target, auth, started))
        .catch((error: unknown) => this.refuse(context, target, error, started));
    } catch (error) {
      return this.refuse(context, request, error, started);
    }
  }

  /** Hands the verified session to the handler (per request, or per socket message); records it. */
  private attach(
    context: ExecutionContext,
    request: AuthTarget,
    auth: AuthenticatedSession,
    started: number,
  ): true {
    attachAuth(context, request, auth);
    this.record('allowed', started);
    return true;
  }

  /** Records and rethrows `error`; a WebSocket client gets it as Nest's WsException. */
  private refuse(
    context: ExecutionContext,
    request: AuthTarget | undefined,
    error: unknown,
    started: number,
  ): Promise<never> {
    detachAuth(context, request);
    this.record(error instanceof SessionAuthError ? error.code : 'error', started);
    if (context.getType() === 'ws' && error instanceof SessionAuthError) {
      return toWsException(error).then((wsError) => Promise.reject(wsError));
    }
    return Promise.reject(error);
  }

  private record(result: string, started: number): void {
    const metrics = (this.internals ??= serviceInternalsOf(this.sessions)).metrics.guardResult(
      result,
    );
    metrics.decisions.inc();
    metrics.duration.observe((performance.now() - started) / 1000);
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
    return bearerTokenOf(request.headers?.authorization);
  }
}

/** A WebSocket client gets the error body as its `exception` event (Nest's WsException). */
async function toWsException(error: SessionAuthError): Promise<Error> {
  const { WsException } = await lazyModule(
    () => require('@nestjs/websockets'),
    () => import('@nestjs/websockets'),
  )();
  return new WsException(error.getResponse() as object);
}
