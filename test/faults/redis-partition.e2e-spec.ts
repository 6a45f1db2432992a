import { login, me, register } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { startRedisServer, type TestRedisServer } from '../support/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually, sleep } from '../support/timing.js';

// The deterministic form of a window the Redis-restart suite meets by chance: two instances that
// disagree about Redis. Instance B reaches Redis through a TCP proxy the test cuts, so B runs on
// PostgreSQL alone while A still uses Redis (as right after a restart, when A has reconnected and
// B not yet). A session revoked on B must be refused by A as well - the contract says "refused
// everywhere within 1 second" and "with Redis down ... nothing fails open".

/** How long A is watched after the revocation; the contract allows at most 1 s. */
const WATCH_MS = 2000;
const ALLOWED_MS = 1000;

let redis: TestRedisServer;
let proxy: TcpProxy;
let a: DemoProcess;
let b: DemoProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  [a, b] = await startDemos(
    { name: 'redis-partition', env: { REDIS_URL: redis.url } },
    { name: 'redis-partition', env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } },
  );
}, 60_000);

afterAll(async () => {
  await stopDemos(a, b);
  await proxy?.close();
  await redis?.stop();
});

async function redisStatus(demo: DemoProcess): Promise<string> {
  return (await new ApiClient(demo.baseUrl).get('/health')).body?.redis?.status;
}

it('a session revoked on an instance cut off from Redis is refused by an instance still using Redis', async () => {
  const owner = await register(a.baseUrl, { deviceName: 'owner' });
  const onA = new ApiClient(a.baseUrl);
  const onB = new ApiClient(b.baseUrl);

  // Control, both instances on Redis: a revocation on B is refused by A at once.
  const control = await login(a.baseUrl, owner.email, owner.password, { deviceName: 'control' });
  expectStatus(await me(onA, control.accessToken), 200);
  expectStatus(
    await onB.delete(`/auth/sessions/${control.session.id}`, { token: owner.accessToken }),
    204,
  );
  expectError(await me(onA, control.accessToken), 401, 'SESSION_REVOKED');

  // The victim is used on A, so A holds its "active" state in its caches.
  const victim = await login(a.baseUrl, owner.email, owner.password, { deviceName: 'victim' });
  expectStatus(await me(onA, victim.accessToken), 200);

  await proxy.cut();
  await eventually(async () => expect(await redisStatus(b)).toBe('down'), {
    timeoutMs: 5000,
    intervalMs: 100,
  });
  expect(await redisStatus(a)).toBe('up');

  const deleted = await onB.delete(`/auth/sessions/${victim.session.id}`, {
    token: owner.accessToken,
  });
  expectStatus(deleted, 204);
  const revokedAt = Date.now();
  // B itself refuses it (it reads PostgreSQL).
  expectError(await me(onB, victim.accessToken), 401, 'SESSION_REVOKED');

  const accepted: number[] = [];
  let probes = 0;
  while (Date.now() - revokedAt < WATCH_MS) {
    const startedAt = Date.now();
    const response = await me(onA, victim.accessToken);
    probes++;
    if (response.status === 200) accepted.push(startedAt - revokedAt);
    else expectError(response, 401, 'SESSION_REVOKED');
    await sleep(50);
  }

  await proxy.restore();
  await eventually(async () => expect(await redisStatus(b)).toBe('up'), {
    timeoutMs: 10_000,
    intervalMs: 100,
  });
  const refusedAfterRestore = await eventually(
    async () => {
      expectError(await me(onA, victim.accessToken), 401, 'SESSION_REVOKED');
      return Date.now() - revokedAt;
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
  console.log(
    `redis-partition: after the 204 on B, A accepted the revoked session in ${accepted.length} of ` +
      `${probes} requests over ${WATCH_MS} ms (the last one sent ${accepted.at(-1) ?? 0} ms after the 204); ` +
      `A refused it ${refusedAfterRestore} ms after the 204, once B was back on Redis`,
  );

  // The contract: refused everywhere within 1 s, whatever the state of Redis.
  expect(accepted.filter((ms) => ms >= ALLOWED_MS)).toEqual([]);
}, 60_000);
