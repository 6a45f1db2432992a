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

/** How many refresh tokens of a session are still unspent (rotation must leave exactly one). */
export async function unspentRefreshTokenCount(sessionId: string): Promise<number> {
  const [row] = await query<{ count: string }>(
    'SELECT count(*) AS count FROM refresh_tokens WHERE session_id = $1 AND spent_at IS NULL',
    [sessionId],
  );
  return Number(row.count);
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
