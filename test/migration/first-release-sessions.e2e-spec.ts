import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { sessionAuthMigrations } from 'nestjs-session-auth';
import { CreateUsers1763900000001 } from '../../apps/demo/src/users/migrations/1763900000001-create-users.js';
import { refreshCookieOf, refreshWithBody } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { refreshGeneration } from '../support/database.js';

// Performance round 2: refresh tokens became derived from a generation on the session row. A
// database of the first release (random tokens, one row each in refresh_tokens) is migrated by the
// new release on start-up, and nobody is signed out: the live first-release token is exchanged at
// its next refresh, its retry within the grace window gets the same successor, and a spent one
// still raises reuse.

let database: ScratchDatabase;
let demo: DemoProcess;
const hash = (raw: string) => createHash('sha256').update(raw).digest('hex');
const firstReleaseToken = () => randomBytes(32).toString('base64url');

/** A session as the first release left it: its live token and one spent before it. */
async function firstReleaseSession(): Promise<{ id: string; live: string; spent: string }> {
  const session = { id: randomUUID(), live: firstReleaseToken(), spent: firstReleaseToken() };
  await database.query(
    `INSERT INTO sessions (id, user_id, device_name, created_at, authenticated_at, last_active_at,
                           idle_expires_at, absolute_expires_at)
     VALUES ($1, 'first-release-user', 'Old laptop', now() - interval '1 day', now() - interval '1 day',
             now() - interval '1 hour', now() + interval '6 days', now() + interval '29 days')`,
    [session.id],
  );
  const spentId = randomUUID();
  await database.query(
    `INSERT INTO refresh_tokens (id, session_id, token_hash, parent_id, created_at, spent_at)
     VALUES ($1, $2, $3, NULL, now() - interval '1 day', now() - interval '1 hour'),
            ($4, $2, $5, $1, now() - interval '1 hour', NULL)`,
    [spentId, session.id, hash(session.spent), randomUUID(), hash(session.live)],
  );
  return session;
}

beforeAll(async () => {
  database = await createScratchDatabase('first_release');
  // The first release's schema, with TypeORM's record of its migrations.
  const runner = { query: (sql: string) => database.query(sql) } as unknown as QueryRunner;
  const [createSessionTables] = sessionAuthMigrations;
  await new createSessionTables().up(runner);
  await new CreateUsers1763900000001().up(runner);
  await database.query(
    `CREATE TABLE migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)`,
  );
  await database.query(
    `INSERT INTO migrations ("timestamp", name) VALUES
       (1763900000000, 'CreateSessionTables1763900000000'), (1763900000001, 'CreateUsers1763900000001')`,
  );
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  await database?.drop();
});

describe('a first-release database migrated by this release', () => {
  let exchanged: { id: string; live: string; spent: string };
  let reused: { id: string; live: string; spent: string };

  beforeAll(async () => {
    exchanged = await firstReleaseSession();
    reused = await firstReleaseSession();
    demo = await startDemo({ name: 'first-release', env: { DATABASE_URL: database.url } });
  }, 60_000);

  it('adds the generation columns and leaves every session live at generation 0', async () => {
    const rows = await database.query<{ id: string; refresh_generation: number }>(
      'SELECT id, refresh_generation FROM sessions WHERE revoked_at IS NULL ORDER BY id',
    );
    expect(rows.map((r) => r.refresh_generation)).toEqual([0, 0]);
  });

  it('exchanges the live first-release token for the new form, and a retry gets the same one', async () => {
    const client = new ApiClient(demo.baseUrl);
    const first = await refreshWithBody(client, exchanged.live);
    expectStatus(first, 200);
    expect(first.body.session.id).toBe(exchanged.id);
    const successor = refreshCookieOf(first);
    expect(successor).toMatch(/^[A-Za-z0-9_-]{94}$/);

    const retry = await refreshWithBody(client, exchanged.live);
    expectStatus(retry, 200);
    expect(refreshCookieOf(retry)).toBe(successor);

    const next = await refreshWithBody(client, successor);
    expectStatus(next, 200);
    expect(await refreshGeneration(exchanged.id, database)).toBe(2);
    // Two generations on, the first-release token is reuse: the session ends.
    expectError(await refreshWithBody(client, exchanged.live), 401, 'REFRESH_TOKEN_REUSED');
    expectError(await refreshWithBody(client, refreshCookieOf(next)), 401, 'SESSION_REVOKED');
  });

  it('still calls a spent first-release token reuse', async () => {
    const client = new ApiClient(demo.baseUrl);
    expectError(await refreshWithBody(client, reused.spent), 401, 'REFRESH_TOKEN_REUSED');
    expectError(await refreshWithBody(client, reused.live), 401, 'SESSION_REVOKED');
    const [row] = await database.query<{ revoke_reason: string }>(
      'SELECT revoke_reason FROM sessions WHERE id = $1',
      [reused.id],
    );
    expect(row.revoke_reason).toBe('REUSE_DETECTED');
  });
});
