import { login, me, register } from '../support/auth.js';
import { query } from '../support/database.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { withRedis } from '../support/global-setup.js';
import { ApiClient } from '../support/http-client.js';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/timing.js';

// Security round 2, finding 5: an outage in which Redis keeps its data. The instance reaches its
// own redis-server through a TCP proxy the test cuts; Redis itself stays up with every entry it
// had, including the "active" state of a session that is revoked during the outage. When the path
// comes back, the instance must not answer from Redis until it has reconciled what happened
// meanwhile: the revoked session is refused on every request, from the first one on.
//
// Over 10,000 sessions are revoked during the outage, and Redis holds many unrelated entries: the
// case where the old replay gave up on per-key deletes and swept the keyspace while serving.

const SEEDED_SESSIONS = 10_050;
const OTHER_ENTRIES = 300_000;
/** How long requests keep probing once the instance says it has reconciled. */
const WATCH_AFTER_MS = 1500;
const LIMIT_MS = 20_000;
const RECONCILED = /Redis available again; reconciled with PostgreSQL in (\d+) ms/;

let redis: TestRedisServer;
let proxy: TcpProxy;
let demo: DemoProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  demo = await startDemo({
    name: 'redis-outage-reconcile',
    env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
  });
}, 60_000);

afterAll(async () => {
  await demo?.stop();
  await proxy?.close();
  await redis?.stop();
});

async function redisStatus(): Promise<string> {
  return (await new ApiClient(demo.baseUrl).get('/health')).body?.redis?.status;
}

it('after an outage in which Redis kept its data, a session revoked meanwhile is never served as active', async () => {
  const owner = await register(demo.baseUrl, { deviceName: 'owner' });
  const victim = await login(demo.baseUrl, owner.email, owner.password, { deviceName: 'victim' });
  const client = new ApiClient(demo.baseUrl);
  // The victim's "active" state is now in Redis.
  expectStatus(await me(client, victim.accessToken), 200);
  const prefix = demo.env.REDIS_KEY_PREFIX;
  await withRedis(redis.url, async (r) => {
    expect(await r.get(`${prefix}session:${victim.session.id}`)).toMatch(/"revoked":false/);
    for (let i = 0; i < OTHER_ENTRIES; i += 10_000) {
      const pipeline = r.pipeline();
      for (let j = i; j < i + 10_000; j++) pipeline.set(`${prefix}session:other-${j}`, '{}');
      await pipeline.exec();
    }
  });
  await query(
    `INSERT INTO sessions (id, user_id, device_name, created_at, authenticated_at, last_active_at,
                           idle_expires_at, absolute_expires_at, refresh_nonce)
     SELECT gen_random_uuid(), $1, 'seeded', now(), now(), now() - interval '1 minute',
            now() + interval '1 hour', now() + interval '1 day', decode(md5(random()::text), 'hex')
       FROM generate_series(1, $2)`,
    [owner.user.id, SEEDED_SESSIONS],
  );

  await proxy.cut();
  await eventually(async () => expect(await redisStatus()).toBe('down'), {
    timeoutMs: 5000,
    intervalMs: 100,
  });
  const others = await owner.client.delete('/auth/sessions?scope=others', {
    token: owner.accessToken,
  });
  expectStatus(others, 204);
  expectError(await me(client, victim.accessToken), 401, 'SESSION_REVOKED');
  // Redis still says "active": it never heard of the revocation.
  await withRedis(redis.url, async (r) =>
    expect(await r.get(`${prefix}session:${victim.session.id}`)).toMatch(/"revoked":false/),
  );

  const outputBefore = demo.output().length;
  await proxy.restore();
  const restoredAt = Date.now();
  const accepted: number[] = [];
  let probes = 0;
  let reconciledAt: number | undefined;
  // Watch through the reconciliation and for a while after it (the cache serves again then).
  while (Date.now() - restoredAt < LIMIT_MS) {
    if (reconciledAt === undefined && RECONCILED.test(demo.output().slice(outputBefore)))
      reconciledAt = Date.now();
    if (reconciledAt !== undefined && Date.now() - reconciledAt > WATCH_AFTER_MS) break;
    const sentAt = Date.now() - restoredAt;
    const answer = await me(client, victim.accessToken);
    probes++;
    if (answer.status === 200) accepted.push(sentAt);
    else expectError(answer, 401, 'SESSION_REVOKED');
  }
  const entry = await withRedis(redis.url, (r) => r.get(`${prefix}session:${victim.session.id}`));
  const took = RECONCILED.exec(demo.output().slice(outputBefore))?.[1];
  console.log(
    `redis-outage-reconcile: reconciled ${reconciledAt ? `${reconciledAt - restoredAt} ms` : 'never'} ` +
      `after the path came back (the reconciliation itself: ${took} ms); ${probes} requests until ${WATCH_AFTER_MS} ms after that, ` +
      `${accepted.length} accepted (first at ${accepted[0] ?? '-'} ms); victim's entry now ${entry}`,
  );
  expect(accepted).toEqual([]);
  expect(reconciledAt).toBeDefined();
  expect(entry).toMatch(/"revoked":true/);
  expectStatus(await me(client, owner.accessToken), 200);
}, 90_000);
