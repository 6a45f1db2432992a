import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { query } from '../support/database.js';
import { testEnv } from '../support/env.js';

/**
 * A real low-privilege database role: LOGIN and nothing else (it connects to the run's database
 * through PUBLIC's default CONNECT), the way any other application or a compromised service
 * account on the same server could. Created per run under a unique name and dropped afterwards.
 */
export interface Intruder {
  readonly role: string;
  /** A connection of the role (its own; `applicationName` names it in pg_stat_activity). */
  connect(applicationName?: string): Promise<pg.Client>;
  drop(): Promise<void>;
}

export async function createIntruder(): Promise<Intruder> {
  const role = `sa_intruder_${randomBytes(6).toString('hex')}`;
  await query(`CREATE ROLE ${role} LOGIN`);
  const clients: pg.Client[] = [];
  return {
    role,
    async connect(applicationName) {
      const url = new URL(testEnv().databaseUrl);
      url.username = role;
      url.password = '';
      const client = new pg.Client({
        connectionString: url.toString(),
        application_name: applicationName,
      });
      client.on('error', () => undefined);
      await client.connect();
      clients.push(client);
      return client;
    },
    async drop() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await query(`DROP ROLE IF EXISTS ${role}`);
    },
  };
}
