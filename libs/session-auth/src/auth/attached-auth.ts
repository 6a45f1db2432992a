import type { ExecutionContext } from '@nestjs/common';
import { REQUEST_AUTH_KEY } from '../session-auth.constants.js';
import type { AuthenticatedSession } from '../sessions/session-verifier.js';

/**
 * A socket outlives its messages, so what the guard verified for one message is kept per socket
 * and per handler, never on the socket itself: a `@Public()` handler (which the guard lets in
 * without verifying) or one without the guard finds nothing, rather than an earlier message's
 * session, which may have been revoked since. A handler runs only after its own guard passed, so
 * the entry it reads was verified for a message to it (concurrent messages of one socket carry the
 * same handshake token).
 */
const byHandlerOfSocket = new WeakMap<object, WeakMap<object, AuthenticatedSession>>();

/** Leaves the verified session where the handler's `@CurrentSession()` finds it. */
export function attachAuth(
  context: ExecutionContext,
  target: object,
  auth: AuthenticatedSession,
): void {
  if (context.getType() !== 'ws') {
    // A request is one call: the session sits on it, where apps already look (`req.sessionAuth`).
    (target as Record<string, unknown>)[REQUEST_AUTH_KEY] = auth;
    return;
  }
  let byHandler = byHandlerOfSocket.get(target);
  if (!byHandler) byHandlerOfSocket.set(target, (byHandler = new WeakMap()));
  byHandler.set(context.getHandler(), auth);
}

/** Forgets what an earlier message left for this handler (its message was refused). */
export function detachAuth(context: ExecutionContext, target: object | undefined): void {
  if (target && context.getType() === 'ws')
    byHandlerOfSocket.get(target)?.delete(context.getHandler());
}

/** The session the guard verified for this request, or this socket message's handler. */
export function attachedAuth(
  context: ExecutionContext,
  target: object | undefined,
): AuthenticatedSession | undefined {
  if (!target) return undefined;
  if (context.getType() === 'ws') return byHandlerOfSocket.get(target)?.get(context.getHandler());
  return (target as Record<string, AuthenticatedSession | undefined>)[REQUEST_AUTH_KEY];
}
