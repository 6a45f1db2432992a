import {
  login,
  me,
  refreshCookieOf,
  refreshWithBody,
  register,
  type SignedIn,
  uniqueEmail,
} from '../support/auth.js';
import { cleanupRunsOf, type CleanupRunLine } from '../support/demo-logs.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';
import { createScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';
import { closeAllSessionSockets, connectSessionSocket } from '../support/sockets.js';
import { eventually, sleep } from '../support/timing.js';
import { refreshGeneration } from '../support/database.js';

// Two demo instances on a real Redis Cluster (3 masters, 3 replicas, `redis-server
// --cluster-enabled yes`), configured with REDIS_CLUSTER_NODES only. What must hold on a cluster:
// rotation across instances, a revocation refused on both within 1 s, SESSION_NEW from one
// instance to a socket on the other, one cleanup at a time under the lock kept on the cluster, and
// login rate limits shared. Then the master that holds the cleanup lock's slot is killed (kill -9):
// while its replica takes over, no request gets a 5xx and no revoked session is accepted, and
// afterwards all of the above works again.

const RATE_LIMIT_LOGIN = 5;
const NAME = 'cluster';
/** The instances' key prefix (defaultDemoEnv: the run's prefix plus the deployment name). */
const PREFIX = () => `${testEnv().redisPrefix}${NAME}:`;
const LOCK_KEY = () => `${PREFIX()}lock:cleanup`;
const WRONG_PASSWORD = 'not the password at all';

let cluster: TestRedisCluster;
let database: ScratchDatabase;
let demos: DemoProcess[] = [];

beforeAll(async () => {
  [cluster, database] = await Promise.all([
    startRedisCluster({ masters: 3, replicas: 1 }),
    createScratchDatabase('cluster'),
  ]);
  demos = await startDemos(
    ...['a', 'b'].map(() => ({
      name: NAME,
      env: {
        REDIS_URL: undefined,
        REDIS_CLUSTER_NODES: cluster.seeds,
        DATABASE_URL: database.url,
        CLEANUP_CRON: '* * * * * *',
        CLEANUP_LOCK_TTL: '3',
        RATE_LIMIT_LOGIN: String(RATE_LIMIT_LOGIN),
      },
    })),
  );
}, 90_000);

afterAll(async () => {
  closeAllSessionSockets();
  await stopDemos(...demos);
  await cluster?.stop();
  await database?.drop();
});

const a = () => demos[0];
const b = () => demos[1];
const client = (demo: DemoProcess) => new ApiClient(demo.baseUrl);

const runs = (): CleanupRunLine[] => cleanupRunsOf(demos);

/** Consecutive runs (any instance) whose [started, finished] overlap. */
function overlaps(list: CleanupRunLine[]): string[] {
  return list
    .slice(1)
    .flatMap((run, i) =>
      run.started < list[i].finished
        ? [
            `${list[i].instance} [${list[i].started}, ${list[i].finished}] and ${run.instance} [${run.started}, ${run.finished}]`,
          ]
        : [],
    );
}

async function rotationAcrossInstances(): Promise<void> {
  const device = await register(a().baseUrl);
  const onB = await refreshWithBody(client(b()), device.refreshToken);
  expectStatus(onB, 200);
  const onA = await refreshWithBody(client(a()), refreshCookieOf(onB));
  expectStatus(onA, 200);
  expectStatus(await me(client(b()), onA.body.accessToken), 200);
  // Spent exactly twice, one instance each: the session is two generations on.
  expect(await refreshGeneration(device.session.id, database)).toBe(2);
}

/** Terminates `victim` through A (by `owner`) and expects both instances to refuse it within 1 s. */
async function revokeAndExpectRefused(owner: SignedIn, victim: SignedIn): Promise<number> {
  expectStatus(
    await client(a()).delete(`/auth/sessions/${victim.session.id}`, { token: owner.accessToken }),
    204,
  );
  const answered = Date.now();
  await Promise.all(
    demos.map((demo) =>
      eventually(
        async () => expectError(await me(client(demo), victim.accessToken), 401, 'SESSION_REVOKED'),
        { timeoutMs: 1000, intervalMs: 25 },
      ),
    ),
  );
  return Date.now() - answered;
}

async function revocationOnBoth(): Promise<void> {
  const owner = await register(a().baseUrl);
  const victim = await login(b().baseUrl, owner.email, owner.password);
  // Both instances have seen it live (so it is cached, in Redis and in process).
  for (const demo of demos) expectStatus(await me(client(demo), victim.accessToken), 200);
  await revokeAndExpectRefused(owner, victim);
}

async function sessionNewAcrossInstances(): Promise<void> {
  const user = await register(a().baseUrl);
  const socket = await connectSessionSocket(b().baseUrl, user.accessToken, 'device on B');
  try {
    const added = await login(a().baseUrl, user.email, user.password, { deviceName: 'New one' });
    await socket.waitFor('SESSION_NEW', (p) => p.session.id === added.session.id, 3000);
  } finally {
    socket.close();
  }
}

/** While someone else holds the lock key on the cluster, no instance runs; afterwards they do. */
async function cleanupLockOnCluster(): Promise<void> {
  const key = LOCK_KEY();
  const seen = runs().length;
  await eventually(async () => expect(runs().length).toBeGreaterThan(seen), { timeoutMs: 5000 });
  // A run holds the key for milliseconds each second: retry until the test's own SET NX wins.
  const heldFrom = await eventually(
    async () => {
      const port = await cluster.masterOf(key);
      expect(await cluster.cli(port, 'SET', key, 'held-by-the-test', 'PX', '3000', 'NX')).toBe(
        'OK',
      );
      return Date.now();
    },
    { timeoutMs: 5000, intervalMs: 50 },
  );
  await sleep(2500);
  const during = runs().filter((run) => run.started > heldFrom && run.started < heldFrom + 2500);
  expect(during).toEqual([]);
  await eventually(
    async () => expect(runs().filter((run) => run.started > heldFrom + 3000)).not.toEqual([]),
    { timeoutMs: 5000, intervalMs: 200 },
  );
  const after = runs().filter((run) => run.started > heldFrom + 3000);
  expect(after.map((run) => run.lock)).toEqual(after.map(() => 'redis'));
  expect(overlaps(runs())).toEqual([]);
}

async function rateLimitShared(): Promise<void> {
  const email = uniqueEmail('limit');
  const attempt = (demo: DemoProcess) =>
    client(demo).post('/auth/login', { json: { email, password: WRONG_PASSWORD } });
  for (let i = 0; i < RATE_LIMIT_LOGIN; i++)
    expectError(await attempt(demos[i % 2]), 401, 'INVALID_CREDENTIALS');
  for (const demo of demos) expectError(await attempt(demo), 429, 'RATE_LIMITED');
}

/**
 * Classic pub/sub on a cluster: each instance subscribes to the invalidation channel on one node,
 * and PUBLISH on any node reaches it (the cluster bus forwards it). Both must be subscribed.
 */
async function invalidationSubscribers(): Promise<number> {
  const counts = await Promise.all(
    cluster.nodes
      .filter((node) => node.isRunning())
      .map(async (node) => {
        const reply = await cluster.cli(node.port, 'PUBSUB', 'NUMSUB', `${PREFIX()}invalidate`);
        return Number(reply.split('\n')[1]);
      }),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

async function everythingWorks(): Promise<void> {
  await eventually(async () => expect(await invalidationSubscribers()).toBe(2), {
    timeoutMs: 5000,
    intervalMs: 100,
  });
  await rotationAcrossInstances();
  await revocationOnBoth();
  await sessionNewAcrossInstances();
  await rateLimitShared();
  await cleanupLockOnCluster();
}

it('on a Redis Cluster: rotation, revocation within 1 s on both, SESSION_NEW across instances, one cleanup at a time, shared rate limits', async () => {
  for (const demo of demos) {
    expect(demo.output()).toContain('Redis cluster');
    const health = await client(demo).get('/health');
    expect(health.body).toMatchObject({ redis: { status: 'up', backend: 'redis' } });
  }
  await everythingWorks();
  // The keys really are on the cluster, spread over its masters.
  const keysPerMaster = await Promise.all(
    (await cluster.masters()).map(
      async (port) =>
        (await cluster.cli(port, '--scan', '--pattern', `${PREFIX()}*`)).split('\n').filter(Boolean)
          .length,
    ),
  );
  expect(keysPerMaster.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
}, 60_000);

interface Probe {
  serverErrors: string[];
  revokedAccepted: string[];
  requests: number;
}

/**
 * Keeps both instances busy until stopped: guarded requests with live and revoked tokens, a
 * refresh chain alternating between the instances, and sign-ins. Records every 5xx (or network
 * error) and every revoked session accepted.
 */
function probe(live: SignedIn[], revoked: () => SignedIn[]): { stop(): Promise<Probe> } {
  const result: Probe = { serverErrors: [], revokedAccepted: [], requests: 0 };
  let running = true;
  let refreshToken = live[0].refreshToken;
  const record = (what: string, response: ApiResponse | Error): ApiResponse | undefined => {
    result.requests++;
    if (response instanceof Error) result.serverErrors.push(`${what}: ${response.message}`);
    else if (response.status >= 500)
      result.serverErrors.push(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    return response instanceof Error ? undefined : response;
  };
  const startedAt = Date.now();
  const loop = (async () => {
    for (let round = 0; running; round++) {
      const demo = demos[round % 2];
      const at = `${demo === a() ? 'A' : 'B'} +${Date.now() - startedAt}ms`;
      await Promise.all([
        ...live.map(async (s) =>
          record(`GET /me live ${at}`, await me(client(demo), s.accessToken).catch((e) => e)),
        ),
        ...revoked().map(async (s) => {
          const response = record(
            `GET /me revoked ${at}`,
            await me(client(demo), s.accessToken).catch((e) => e),
          );
          if (response && response.status < 400)
            result.revokedAccepted.push(`${s.session.id} ${at}: ${response.status}`);
        }),
        (async () => {
          const response = record(
            `POST /auth/refresh ${at}`,
            await refreshWithBody(client(demo), refreshToken).catch((e) => e),
          );
          if (response?.status === 200) refreshToken = refreshCookieOf(response);
        })(),
        (async () =>
          record(
            `POST /auth/login ${at}`,
            await client(demo)
              .post('/auth/login', {
                json: { email: uniqueEmail('probe'), password: WRONG_PASSWORD },
              })
              .catch((e) => e),
          ))(),
      ]);
      await sleep(50);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return result;
    },
  };
}

it('kill -9 the master holding the cleanup lock slot: no 5xx and no revoked session accepted during the failover, everything works again after it', async () => {
  const victimPort = await cluster.masterOf(LOCK_KEY());
  const victim = cluster.nodes.find((node) => node.port === victimPort)!;

  // Users with two devices each: the first stays live, the second is revoked before the kill.
  const users = await Promise.all(
    Array.from({ length: 6 }, (_, i) => register(demos[i % 2].baseUrl)),
  );
  const second = await Promise.all(
    users.map((u, i) => login(demos[(i + 1) % 2].baseUrl, u.email, u.password)),
  );
  for (const s of [...users, ...second])
    for (const demo of demos) expectStatus(await me(client(demo), s.accessToken), 200);
  for (let i = 0; i < users.length; i++) await revokeAndExpectRefused(users[i], second[i]);

  // One more device, cached as live on both, whose state key sits on the master about to die:
  // it is revoked while that master is down.
  let doomed: { owner: SignedIn; device: SignedIn } | undefined;
  for (let i = 0; i < 30 && !doomed; i++) {
    const candidateOwner = await register(a().baseUrl);
    const device = await login(b().baseUrl, candidateOwner.email, candidateOwner.password);
    if ((await cluster.masterOf(`${PREFIX()}session:${device.session.id}`)) === victimPort)
      doomed = { owner: candidateOwner, device };
  }
  if (!doomed) throw new Error('no session landed on the victim master in 30 tries');
  for (const demo of demos) expectStatus(await me(client(demo), doomed.device.accessToken), 200);

  const revoked: SignedIn[] = [...second];
  const load = probe(users.slice(1), () => revoked);
  await sleep(500);

  const killedAt = Date.now();
  await victim.kill();
  const deleted = await client(a()).delete(`/auth/sessions/${doomed.device.session.id}`, {
    token: doomed.owner.accessToken,
  });
  expectStatus(deleted, 204);
  revoked.push(doomed.device);
  const deletedAnsweredMs = Date.now() - killedAt;
  await Promise.all(
    demos.map((demo) =>
      eventually(
        async () =>
          expectError(await me(client(demo), doomed.device.accessToken), 401, 'SESSION_REVOKED'),
        { timeoutMs: 1000, intervalMs: 25 },
      ),
    ),
  );

  await cluster.waitUntilHealthy(20_000);
  const failoverMs = Date.now() - killedAt;
  expect(await cluster.masters()).not.toContain(victimPort);
  // Recovered: both instances answer from Redis again, and a limit counted on one holds on the other.
  await eventually(
    async () => {
      for (const demo of demos)
        expect((await client(demo).get('/health')).body).toMatchObject({ redis: { status: 'up' } });
      await rateLimitShared();
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  const recoveredMs = Date.now() - killedAt;
  await sleep(2000);
  const seen = await load.stop();

  console.log(
    `cluster failover: DELETE during it answered ${deletedAnsweredMs} ms after the kill; ` +
      `replica promoted and cluster_state ok after ${failoverMs} ms; instances recovered (health up, ` +
      `shared limits) after ${recoveredMs} ms; ${seen.requests} requests during it, ` +
      `${seen.serverErrors.length} failed with 5xx, ${seen.revokedAccepted.length} revoked sessions accepted`,
  );
  expect(seen.serverErrors).toEqual([]);
  expect(seen.revokedAccepted).toEqual([]);
  expect(seen.requests).toBeGreaterThan(50);

  await everythingWorks();
  // Still refused after the failover, on both.
  for (const s of revoked)
    for (const demo of demos)
      expectError(await me(client(demo), s.accessToken), 401, 'SESSION_REVOKED');
}, 120_000);
