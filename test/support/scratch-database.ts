import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ADMIN_DATABASE_URL, withAdmin, withDatabase } from './global-setup.js';

/**
 * A database of its own for a test file, on the same server as the run's database: for tests whose
 * instances act on every row (the cleanup job ends every expired session it finds), so that rows
 * left by other test files cannot change what they count. The demo migrates it on start-up.
 */
export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  /** Runs one query with a short-lived connection. */
  query<T extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Drops it (FORCE ends the connections a killed instance may have left). Safe to call twice. */
  drop(): Promise<void>;
}

export async function createScratchDatabase(tag: string): Promise<ScratchDatabase> {
  if (!/^[a-z0-9_]{1,20}$/.test(tag)) throw new Error(`bad database tag '${tag}'`);
  // The run's own database is named session_auth_test_<time>_<hex>; this one says what it is for.
  const name = `session_auth_test_${Date.now()}_${tag}_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(ADMIN_DATABASE_URL, name);
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  let dropped = false;
  return {
    name,
    url,
    query: async (sql, params = []) => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
