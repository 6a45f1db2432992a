import pg from 'pg';
import { testEnv } from './env.js';

/** Runs one query on the run's test database with a short-lived connection. */
export async function query<T extends pg.QueryResultRow = any>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: testEnv().databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The session's live refresh-token generation: how many times its token was spent. (One integer
 * per session: there is exactly one live token, the one of this generation.) In the run's
 * database, or in `database` (a scratch one).
 */
export async function refreshGeneration(
  sessionId: string,
  database: { query: typeof query } = { query },
): Promise<number> {
  const [row] = await database.query<{ refresh_generation: number }>(
    'SELECT refresh_generation FROM sessions WHERE id = $1',
    [sessionId],
  );
  if (!row) throw new Error(`no session ${sessionId} in the database`);
  return row.refresh_generation;
}

/** The generation a refresh token names (bytes 18-21 of the token, see refresh-token.crypto.ts). */
export function generationOf(refreshToken: string): number {
  return Buffer.from(refreshToken, 'base64url').readUInt32BE(18);
}

/** The session's absolute expiry as the server stored it. */
export async function absoluteExpiry(sessionId: string): Promise<Date> {
  const [row] = await query<{ absolute_expires_at: Date }>(
    'SELECT absolute_expires_at FROM sessions WHERE id = $1',
    [sessionId],
  );
  if (!row) throw new Error(`no session ${sessionId} in the database`);
  return row.absolute_expires_at;
}

/**
 * Inserts `count` live sessions of a user straight into the table (sign-ins through the API would
 * take minutes at this scale, and `maxSessionsPerUser` would evict them); returns their ids.
 */
export async function insertLiveSessions(userId: string, count: number): Promise<string[]> {
  const rows = await query<{ id: string }>(
    `INSERT INTO sessions (id, user_id, device_id, device_name, user_agent, ip, created_at,
       authenticated_at, last_active_at, idle_expires_at, absolute_expires_at, refresh_nonce)
     SELECT gen_random_uuid(), $1, NULL, 'Seeded device ' || n, 'seeded', '127.0.0.1', now(), now(),
       now() - make_interval(secs => n), now() + interval '1 day', now() + interval '7 days',
       decode(md5(random()::text), 'hex')
     FROM generate_series(1, $2::int) AS n
     RETURNING id`,
    [userId, count],
  );
  return rows.map((row) => row.id);
}
