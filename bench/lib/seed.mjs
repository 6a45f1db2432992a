// Direct database seeding for set-ups that would take minutes through the API.
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { PASSWORD } from './http.mjs';
import { signAccessToken } from '../../test/support/jwt.mjs';

const BATCH = 5000;

/**
 * Inserts `count` users into the demo's users table whose password is PASSWORD hashed at `cost`
 * (one hash shared by all: a compare costs the same). Returns `[{ id, email }]`.
 */
export async function seedUsers(ctx, count, label, cost = 4) {
  const hash = await bcrypt.hash(PASSWORD, cost);
  const users = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    email: `${label}-${i}@bench.example`,
  }));
  for (let i = 0; i < users.length; i += BATCH) {
    const slice = users.slice(i, i + BATCH);
    await ctx.query(
      `INSERT INTO users (id, email, name, password_hash)
       SELECT u.id, u.email, 'Bench user', $3 FROM unnest($1::uuid[], $2::varchar[]) AS u(id, email)`,
      [slice.map((u) => u.id), slice.map((u) => u.email), hash],
    );
  }
  return users;
}

/**
 * Inserts `perUser` live sessions for each user id (idle expiry in a day, absolute in a week) and
 * signs an access token for each with the run's secret. Returns `[{ userId, sessionId, token }]`.
 */
export async function seedSessions(ctx, userIds, perUser) {
  const sessions = userIds.flatMap((userId) =>
    Array.from({ length: perUser }, () => ({ userId, sessionId: randomUUID() })),
  );
  for (let i = 0; i < sessions.length; i += BATCH) {
    const slice = sessions.slice(i, i + BATCH);
    await ctx.query(
      `INSERT INTO sessions (id, user_id, device_id, device_name, user_agent, ip, created_at,
         authenticated_at, last_active_at, idle_expires_at, absolute_expires_at, refresh_nonce)
       SELECT s.id, s.user_id, NULL, 'Bench device', 'bench', '127.0.0.1', now(), now(), now(),
         now() + interval '1 day', now() + interval '7 days', decode(md5(random()::text), 'hex')
       FROM unnest($1::uuid[], $2::varchar[]) AS s(id, user_id)`,
      [slice.map((s) => s.sessionId), slice.map((s) => s.userId)],
    );
  }
  return sessions.map((s) => ({
    ...s,
    token: signAccessToken(ctx.jwtSecret, s.userId, s.sessionId),
  }));
}
