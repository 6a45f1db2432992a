import { login, me, refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { cleanupRunsOf, type CleanupRunLine } from '../support/demo-logs.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';
import { startPgBouncer, type TestPgBouncer } from '../support/pgbouncer.js';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually, sleep } from '../support/timing.js';
import { refreshGeneration } from '../support/database.js';

// Two demo instances whose DATABASE_URL goes through Debian's PgBouncer in transaction mode (each
// transaction may run on a different server connection), with DATABASE_DIRECT_URL for what needs
// a connection of its own: LISTEN (the revocation feed), the cleanup's session-level advisory lock
// and the migration lock. PostgreSQL sits behind a TCP proxy the test cuts for the outage test;
// each instance reaches Redis through a proxy of its own, so the test can cut one or both.

let database: ScratchDatabase;
let pgProxy: TcpProxy;
let bouncer: TestPgBouncer;
let redis: TestRedisServer;
let redisProxies: TcpProxy[] = [];
let demos: DemoProcess[] = [];

beforeAll(async () => {
  [database, redis] = await Promise.all([createScratchDatabase('pgbouncer'), startRedisServer()]);
  const server = new URL(database.url);
  pgProxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  bouncer = await startPgBouncer({ host: '127.0.0.1', port: pgProxy.port });
  const direct = new URL(database.url);
  direct.hostname = '127.0.0.1';
  direct.port = String(pgProxy.port);
  redisProxies = await Promise.all(
    [0, 1].map(() => startTcpProxy({ host: '127.0.0.1', port: redis.port })),
  );
  // Started together: both migrate at once, queueing on the lock held on the direct connection.
  demos = await startDemos(
    ...redisProxies.map((proxy) => ({
      name: 'pgbouncer',
      env: {
        DATABASE_URL: bouncer.through(database.url),
        DATABASE_DIRECT_URL: direct.toString(),
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        CLEANUP_CRON: '* * * * * *',
        CLEANUP_LOCK_TTL: '3',
      },
    })),
  );
}, 90_000);

afterAll(async () => {
  await stopDemos(...demos);
  await Promise.all(redisProxies.map((proxy) => proxy.close()));
  await bouncer?.stop();
  await pgProxy?.close();
  await redis?.stop();
  await database?.drop();
});

const a = () => demos[0];
const b = () => demos[1];
const client = (demo: DemoProcess) => new ApiClient(demo.baseUrl);

const runs = (): CleanupRunLine[] => cleanupRunsOf(demos);

it('both instances started through PgBouncer and say so; rotation works across them', async () => {
  for (const demo of demos) {
    expect(demo.output()).toContain(`PostgreSQL postgres://127.0.0.1:${bouncer.port}/`);
    expect(demo.output()).toContain('(direct postgres://127.0.0.1:');
  }
  const device = await register(a().baseUrl);
  const onB = await refreshWithBody(client(b()), device.refreshToken);
  expectStatus(onB, 200);
  // The same token again on the other instance, within the grace window (two tabs at once): the
  // same successor, not a second live branch.
  const retry = await refreshWithBody(client(a()), device.refreshToken);
  expectStatus(retry, 200);
  expect(refreshCookieOf(retry)).toBe(refreshCookieOf(onB));
  const onA = await refreshWithBody(client(a()), refreshCookieOf(onB));
  expectStatus(onA, 200);
  expectStatus(await me(client(b()), onA.body.accessToken), 200);
  // Spent exactly twice, one instance each: the session is two generations on.
  expect(await refreshGeneration(device.session.id, database)).toBe(2);
});

it('a revocation reaches the other instance within 1 s, also through LISTEN when the revoking instance has no Redis', async () => {
  const owner = await register(a().baseUrl);
  const first = await login(b().baseUrl, owner.email, owner.password);
  for (const demo of demos) expectStatus(await me(client(demo), first.accessToken), 200);
  expectStatus(
    await client(a()).delete(`/auth/sessions/${first.session.id}`, { token: owner.accessToken }),
    204,
  );
  for (const demo of demos)
    await eventually(
      async () => expectError(await me(client(demo), first.accessToken), 401, 'SESSION_REVOKED'),
      { timeoutMs: 1000, intervalMs: 25 },
    );

  // A is cut off from Redis: its revocation reaches PostgreSQL only, and B (which holds the
  // session as "active" in Redis and in process) hears of it through LISTEN on its direct
  // connection - through PgBouncer in transaction mode a LISTEN hears nothing.
  const second = await login(b().baseUrl, owner.email, owner.password);
  expectStatus(await me(client(b()), second.accessToken), 200);
  await redisProxies[0].cut();
  try {
    await eventually(
      async () =>
        expect((await client(a()).get('/health')).body).toMatchObject({
          redis: { status: 'down' },
        }),
      { timeoutMs: 5000, intervalMs: 100 },
    );
    expectStatus(
      await client(a()).delete(`/auth/sessions/${second.session.id}`, {
        token: owner.accessToken,
      }),
      204,
    );
    await eventually(
      async () => expectError(await me(client(b()), second.accessToken), 401, 'SESSION_REVOKED'),
      { timeoutMs: 1000, intervalMs: 25 },
    );
  } finally {
    await redisProxies[0].restore();
  }
});

it('with Redis gone for both, the cleanup runs under the advisory lock on the direct connection: one at a time, every expired session ended once, again and again', async () => {
  await Promise.all(redisProxies.map((proxy) => proxy.cut()));
  try {
    for (const demo of demos)
      await eventually(
        async () =>
          expect((await client(demo).get('/health')).body).toMatchObject({
            redis: { status: 'down' },
          }),
        { timeoutMs: 5000, intervalMs: 100 },
      );
    const since = Date.now();
    // Three batches of sessions expire one after another: a lock left behind on a pooled server
    // connection would stop the runs (or let two overlap) after the first.
    for (let batch = 0; batch < 3; batch++) {
      const user = await register(demos[batch % 2].baseUrl);
      const sessions = [
        user,
        await login(a().baseUrl, user.email, user.password),
        await login(b().baseUrl, user.email, user.password),
      ];
      const ids = sessions.map((s) => s.session.id);
      await database.query(
        `UPDATE sessions SET idle_expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      await eventually(
        async () => {
          const rows = await database.query<{ revoke_reason: string | null }>(
            'SELECT revoke_reason FROM sessions WHERE id = ANY($1::uuid[])',
            [ids],
          );
          expect(rows.map((r) => r.revoke_reason)).toEqual(ids.map(() => 'EXPIRED'));
        },
        { timeoutMs: 8000, intervalMs: 200 },
      );
    }
    await sleep(1500);
    const during = runs().filter((run) => run.started >= since);
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(new Set(during.map((run) => run.lock))).toEqual(new Set(['postgres']));
    const overlapping = during
      .slice(1)
      .filter((run, i) => run.started < during[i].finished)
      .map((run) => run.instance);
    expect(overlapping).toEqual([]);
    expect(during.reduce((sum, run) => sum + run.ended, 0)).toBe(9);
    // Nothing is left holding the lock between runs.
    const [{ held }] = await database.query<{ held: string }>(
      "SELECT count(*) AS held FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(Number(held)).toBeLessThanOrEqual(1);
  } finally {
    await Promise.all(redisProxies.map((proxy) => proxy.restore()));
  }
}, 60_000);

/**
 * Breaks the path to PostgreSQL (behind PgBouncer and behind the direct URL alike) and expects
 * every route that needs it to answer 503 DATABASE_UNAVAILABLE within seconds on both instances,
 * /health 503, and sign-in to work again once the path is back, without a restart.
 */
async function expectOutageAndRecovery(breakPath: () => Promise<void> | void): Promise<void> {
  const user = await register(a().baseUrl);
  expectStatus(await me(client(b()), user.accessToken), 200);
  const signIn = (demo: DemoProcess) =>
    client(demo).post('/auth/login', { json: { email: user.email, password: user.password } });

  await breakPath();
  try {
    const started = Date.now();
    const results: ApiResponse[] = await Promise.all(
      demos.flatMap((demo) => [
        signIn(demo),
        refreshWithBody(client(demo), user.refreshToken),
        client(demo).get('/auth/sessions', { token: user.accessToken }),
      ]),
    );
    const elapsed = Date.now() - started;
    for (const response of results) expectError(response, 503, 'DATABASE_UNAVAILABLE');
    // PgBouncer gives up after query_wait_timeout (4 s), the app's pool after query_timeout (5 s).
    expect(elapsed).toBeLessThan(8000);
    for (const demo of demos) {
      const health = await client(demo).get('/health');
      expect({ status: health.status, body: health.body }).toMatchObject({
        status: 503,
        body: { database: { status: 'down' } },
      });
    }
  } finally {
    await pgProxy.restore();
  }
  for (const demo of demos)
    await eventually(async () => expectStatus(await signIn(demo), 200), {
      timeoutMs: 15_000,
      intervalMs: 250,
    });
}

it('PostgreSQL refusing connections behind PgBouncer: 503 DATABASE_UNAVAILABLE within seconds, /health 503, recovery without a restart', async () => {
  await expectOutageAndRecovery(() => pgProxy.cut());
}, 60_000);

it('PostgreSQL silent (a black hole) behind PgBouncer: 503 DATABASE_UNAVAILABLE within seconds, no hang, recovery without a restart', async () => {
  await expectOutageAndRecovery(() => pgProxy.stall());
}, 60_000);
