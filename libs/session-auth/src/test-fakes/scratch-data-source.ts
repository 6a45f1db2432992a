import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { sessionAuthEntities, sessionAuthMigrations } from '../persistence/session-auth.schema.js';
import type { SessionEntity } from '../persistence/session.entity.js';

/**
 * A PostgreSQL database of its own for a library e2e spec, on the server the e2e run uses
 * (TEST_DATABASE_URL from the global setup, else DATABASE_URL, else 127.0.0.1:5432), migrated with
 * the library's one migration, behind a TypeORM DataSource. Rows of other suites cannot change
 * what it counts; `drop` removes it.
 */
export interface ScratchDataSource {
  readonly dataSource: DataSource;
  /** Inserts a session row (live, signed in now, a day of idle and a week of absolute life left). */
  insertSession(row?: Partial<SessionRowInput>): Promise<string>;
  /** The row as it stands. */
  row(id: string): Promise<Record<string, unknown>>;
  /** Runs one statement on a connection of its own. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The payloads of the NOTIFYs on `channel` while `work` runs, and `work`'s result. */
  notificationsDuring<T>(channel: string, work: () => Promise<T>): Promise<[T, string[]]>;
  drop(): Promise<void>;
}

/** What a seeded row may set; times are offsets in seconds from the database's `now()`. */
export interface SessionRowInput {
  id: string;
  userId: string;
  deviceId: string | null;
  userAgent: string | null;
  lastActiveSeconds: number;
  idleEndSeconds: number;
  absoluteEndSeconds: number;
  revokedSeconds: number | null;
  revokeReason: SessionEntity['revokeReason'];
  generation: number;
  nonce: Buffer;
  keyThumbprint: string | null;
}

export async function scratchDataSource(tag: string): Promise<ScratchDataSource> {
  const server =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `session_auth_test_${Date.now()}_${tag}_${randomBytes(4).toString('hex')}`;
  const admin = (sql: string) => once(withDatabase(server, 'postgres'), sql);
  await admin(`CREATE DATABASE "${name}"`);
  const url = withDatabase(server, name);
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: [...sessionAuthEntities],
    migrations: [...sessionAuthMigrations],
    extra: { max: 8 },
  });
  await dataSource.initialize();
  await dataSource.runMigrations();
  const query = <T>(sql: string, params: unknown[] = []) => once(url, sql, params) as Promise<T[]>;
  return {
    dataSource,
    query,
    async insertSession(input = {}) {
      const r: SessionRowInput = {
        id: randomUUID(),
        userId: 'user-1',
        deviceId: null,
        userAgent: null,
        lastActiveSeconds: 0,
        idleEndSeconds: 86_400,
        absoluteEndSeconds: 7 * 86_400,
        revokedSeconds: null,
        revokeReason: null,
        generation: 0,
        nonce: Buffer.alloc(16, 7),
        keyThumbprint: null,
        ...input,
      };
      const at = (param: string) => `now() + make_interval(secs => ${param})`;
      await query(
        `INSERT INTO sessions (id, user_id, device_id, device_name, user_agent, ip, created_at,
            authenticated_at, last_active_at, idle_expires_at, absolute_expires_at, revoked_at,
            revoke_reason, refresh_generation, refresh_nonce, key_thumbprint, key_alg, key_source)
         VALUES ($1, $2, $3, 'Seeded', $4, NULL, now(), now(), ${at('$5')}, ${at('$6')},
            ${at('$7')}, CASE WHEN $8::float8 IS NULL THEN NULL ELSE ${at('$8')} END, $9, $10, $11,
            $12, $13, $14)`,
        [
          r.id,
          r.userId,
          r.deviceId,
          r.userAgent,
          r.lastActiveSeconds,
          r.idleEndSeconds,
          r.absoluteEndSeconds,
          r.revokedSeconds,
          r.revokeReason,
          r.generation,
          r.nonce,
          r.keyThumbprint,
          r.keyThumbprint && 'ES256',
          r.keyThumbprint && 'dpop',
        ],
      );
      return r.id;
    },
    async row(id) {
      const [found] = await query<Record<string, unknown>>(`SELECT * FROM sessions WHERE id = $1`, [
        id,
      ]);
      if (!found) throw new Error(`no session ${id}`);
      return found;
    },
    async notificationsDuring(channel, work) {
      const listener = new pg.Client({ connectionString: url });
      await listener.connect();
      const payloads: string[] = [];
      listener.on('notification', (message) => payloads.push(message.payload ?? ''));
      try {
        await listener.query(`LISTEN ${channel}`);
        const result = await work();
        // A round trip on the listener's connection delivers what was sent before it.
        await listener.query('SELECT 1');
        return [result, payloads];
      } finally {
        await listener.end();
      }
    },
    async drop() {
      await dataSource.destroy();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function once(url: string, sql: string, params: unknown[] = []): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
