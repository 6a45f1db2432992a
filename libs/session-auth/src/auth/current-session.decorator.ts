import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { attachedAuth } from './attached-auth.js';
import { authTargetOf } from './auth-target.js';
import type { AuthenticatedSession } from '../sessions/session-verifier.js';

function principal(context: ExecutionContext): AuthenticatedSession {
  const auth = attachedAuth(context, authTargetOf(context));
  // Only reachable when a route uses the decorator without SessionAuthGuard (or on a @Public()
  // route, which the guard lets in unverified): a programming error.
  if (!auth)
    throw new Error('@CurrentSession()/@CurrentUser() used on a route without SessionAuthGuard');
  return auth;
}

/** The verified session of the request, message or resolver: `{ userId, sessionId, authenticatedAt, claims }`. */
export const CurrentSession = createParamDecorator((_: unknown, context: ExecutionContext) =>
  principal(context),
);

/** The user id (`sub`) of the request's verified access token. */
export const CurrentUser = createParamDecorator(
  (_: unknown, context: ExecutionContext) => principal(context).userId,
);
