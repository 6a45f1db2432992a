// Sessions created through the real API (login), for scenarios that need real refresh tokens.
import { login, mapLimit } from './http.mjs';

/**
 * Logs each user in `perUser` times (`concurrency` logins in flight) and returns the issued
 * `{ userId, sessionId, accessToken, refreshToken }`. The users' password hashes decide the cost.
 */
export async function loginSessions(baseUrl, users, perUser, concurrency = 8) {
  // Round robin over users so no user's session list grows far ahead of the others.
  const jobs = [];
  for (let i = 0; i < perUser; i++) for (const user of users) jobs.push(user);
  return mapLimit(jobs, concurrency, async (user) => {
    const body = await login(baseUrl, user.email);
    if (typeof body.refreshToken !== 'string') {
      throw new Error(
        'the login response has no refreshToken in its body (REFRESH_TRANSPORT must be both)',
      );
    }
    return {
      userId: body.user?.id ?? user.id,
      sessionId: body.session.id,
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
    };
  });
}
