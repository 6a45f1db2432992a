import {
  login,
  me,
  refreshCookieOf,
  refreshWithBody,
  register,
  type SignedIn,
} from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectNoServerError, expectStatus } from '../support/expect-http.js';
import { scanKeys, withRedis } from '../support/global-setup.js';
import { type ApiResponse, ApiClient } from '../support/http-client.js';
import { type TestRedisServer, startRedisServer } from '../support/redis-server.js';
import { eventually } from '../support/timing.js';

// Redis is a cache, never the only copy: while it is down the demo runs on PostgreSQL alone (and a
// revoked session stays revoked), /health says so, and it comes back to Redis by itself.

let redis: TestRedisServer;
// Two replicas on the test's own Redis: a revocation made on one must reach the other without it.
let demo: DemoProcess;
let replica: DemoProcess;
let client: ApiClient;
let replicaClient: ApiClient;
const responses: ApiResponse[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  [demo, replica] = await startDemos(
    { name: 'redis-outage', env: { REDIS_URL: redis.url } },
    { name: 'redis-outage', env: { REDIS_URL: redis.url } },
  );
  client = new ApiClient(demo.baseUrl);
  replicaClient = new ApiClient(replica.baseUrl);
});

afterAll(async () => {
  await stopDemos(demo, replica);
  await redis?.stop();
});

/** Records every response of the outage so the test can check that none of them was a 5xx. */
async function track(request: Promise<ApiResponse>): Promise<ApiResponse> {
  const response = await request;
  responses.push(response);
  expectNoServerError(response);
  return response;
}

function health() {
  return track(client.get('/health'));
}

async function expectHealth(redisStatus: 'up' | 'down'): Promise<void> {
  const response = await health();
  expect({ status: response.status, body: response.body }).toMatchObject({
    status: 200,
    body: { database: { status: 'up' }, redis: { status: redisStatus } },
  });
}

it('keeps serving on PostgreSQL while Redis is down and recovers when it returns', async () => {
  const prefix = demo.env.REDIS_KEY_PREFIX;
  // Two users, one of them on two devices; every session used once so the cache is warm.
  const alice = await register(demo.baseUrl, { deviceName: 'Alice laptop' });
  const alicePhone = await login(demo.baseUrl, alice.email, alice.password, {
    deviceName: 'Alice phone',
  });
  const bob = await register(demo.baseUrl, { deviceName: 'Bob laptop' });
  for (const device of [alice, alicePhone, bob]) {
    expectStatus(await me(device.client, device.accessToken), 200);
    expectStatus(await me(replicaClient, device.accessToken), 200);
  }
  await expectHealth('up');
  expect(await withRedis(redis.url, (r) => scanKeys(r, prefix))).not.toEqual([]);

  await redis.stop();

  // Sign-in, refresh and the guard answer from the first request on (a slow answer while the
  // outage is detected is fine, a 5xx is not).
  const bobTablet = await track(
    client.post('/auth/login', {
      json: { email: bob.email, password: bob.password, deviceName: 'Bob tablet' },
    }),
  );
  expectStatus(bobTablet, 200);
  const aliceRefresh = await track(refreshWithBody(alice.client, alice.refreshToken));
  expectStatus(aliceRefresh, 200);
  expectStatus(await track(me(alice.client, aliceRefresh.body.accessToken)), 200);
  expectStatus(await track(me(bob.client, bob.accessToken)), 200);
  const registered = await track(
    new ApiClient(demo.baseUrl).post('/auth/register', {
      json: { email: `x-${alice.email}`, password: alice.password },
    }),
  );
  expectStatus(registered, 201);

  // The grace-window retry does not depend on Redis either.
  const retry = await track(refreshWithBody(alice.client, alice.refreshToken));
  expectStatus(retry, 200);
  expect(refreshCookieOf(retry)).toBe(refreshCookieOf(aliceRefresh));

  // Ending a session during the outage takes effect during the outage.
  const terminated = await track(
    alice.client.delete(`/auth/sessions/${alicePhone.session.id}`, {
      token: aliceRefresh.body.accessToken,
    }),
  );
  expectStatus(terminated, 204);
  // "Refused everywhere within 1 second", on the replica too, although no message can travel
  // through Redis now.
  await eventually(
    async () => {
      await expectRevoked(alicePhone, client);
      await expectRevoked(alicePhone, replicaClient);
    },
    { timeoutMs: 1000 },
  );
  expectStatus(await track(me(replicaClient, bob.accessToken)), 200);
  expectError(
    await track(refreshWithBody(alicePhone.client, alicePhone.refreshToken)),
    401,
    'SESSION_REVOKED',
  );

  // /health reports the outage (after detection) and stays 200.
  await eventually(() => expectHealth('down'), { timeoutMs: 5000, intervalMs: 250 });

  await redis.restart();

  await eventually(() => expectHealth('up'), { timeoutMs: 10_000, intervalMs: 250 });
  await expectRevoked(alicePhone, client);
  await expectRevoked(alicePhone, replicaClient);
  // The restarted Redis is empty; using a live session fills the cache under the prefix again.
  await eventually(
    async () => {
      expectStatus(await track(me(bob.client, bob.accessToken)), 200);
      expect(await withRedis(redis.url, (r) => scanKeys(r, prefix))).not.toEqual([]);
    },
    { timeoutMs: 5000, intervalMs: 250 },
  );
  expectStatus(await track(refreshWithBody(bob.client, bob.refreshToken)), 200);

  // Fan-out between the replicas works again: a sign-out on one is refused on the other in time.
  const tablet = bobTablet.body.accessToken as string;
  expectStatus(await track(me(replicaClient, tablet)), 200);
  const signOut = await track(
    bob.client.delete(`/auth/sessions/${bobTablet.body.session.id}`, { token: bob.accessToken }),
  );
  expectStatus(signOut, 204);
  await eventually(
    async () => expectError(await track(me(replicaClient, tablet)), 401, 'SESSION_REVOKED'),
    { timeoutMs: 1000 },
  );

  expect(responses.filter((r) => r.status >= 500).map((r) => `${r.request} ${r.status}`)).toEqual(
    [],
  );
});

async function expectRevoked(device: SignedIn, via: ApiClient): Promise<void> {
  expectError(await track(me(via, device.accessToken)), 401, 'SESSION_REVOKED');
}
