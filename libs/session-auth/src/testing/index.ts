/**
 * `nestjs-session-auth/testing`: helpers for an app's own tests of its guarded routes.
 *
 * @example
 * ```ts
 * const { accessToken } = await issueTestSession(app, user.id);
 * await request(app.getHttpServer()).get('/me').set(bearer(accessToken)).expect(200);
 * ```
 * @module
 */
import type { INestApplicationContext } from '@nestjs/common';
import type { SessionContext } from '../sessions/session-context.js';
import { type IssuedSession, SessionService } from '../sessions/session.service.js';

/** The context test sessions get unless given one: a fixed IP and user agent. */
export const TEST_SESSION_CONTEXT: SessionContext = {
  ip: '127.0.0.1',
  userAgent: 'nestjs-session-auth/testing',
  deviceName: 'Test device',
};

/**
 * Starts a real session for `userId` in a running test app, as a sign-in would: the access token
 * passes `SessionAuthGuard`, the refresh token rotates, the session is listed and can be ended.
 */
export function issueTestSession(
  app: INestApplicationContext,
  userId: string,
  context: Partial<SessionContext> = {},
): Promise<IssuedSession> {
  return app.get(SessionService).createSession(userId, { ...TEST_SESSION_CONTEXT, ...context });
}

/** The `Authorization` header for an access token. */
export function bearer(accessToken: string): { Authorization: string } {
  return { Authorization: `Bearer ${accessToken}` };
}
