import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { authTargetOf } from './auth-target.js';
import { REQUEST_AUTH_KEY } from '../session-auth.constants.js';
import type { AuthenticatedSession } from '../sessions/session.service.js';

function principal(context: ExecutionContext): AuthenticatedSession {
  const request = authTargetOf(context) as Record<string, AuthenticatedSession | undefined>;
  const auth = request?.[REQUEST_AUTH_KEY];
  // Only reachable when a route uses the decorator without SessionAuthGuard: a programming error.
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
