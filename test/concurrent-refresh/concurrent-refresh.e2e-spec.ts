import { me, refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { unspentRefreshTokenCount } from '../support/database.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { ApiClient } from '../support/http-client.js';
import { expectStatus } from '../support/expect-http.js';

// Fifty requests race to rotate one refresh token (many tabs, a retrying mobile client). Exactly one
// of them spends it; the rest are retries inside the grace window and get the same successor.

const RACERS = 50;

// Two replicas of one deployment on the same database and Redis, as behind a load balancer.
let replicas: DemoProcess[] = [];

beforeAll(async () => {
  replicas = await startDemos({ name: 'concurrent-refresh' }, { name: 'concurrent-refresh' });
});

afterAll(async () => {
  await stopDemos(...replicas);
});

async function race(token: string, targets: DemoProcess[]) {
  const clients = Array.from(
    { length: RACERS },
    (_, i) => new ApiClient(targets[i % targets.length].baseUrl),
  );
  return Promise.all(clients.map((client) => refreshWithBody(client, token)));
}

async function expectOneSuccessor(responses: Awaited<ReturnType<typeof race>>, sessionId: string) {
  expect(responses.map((r) => r.status)).toEqual(Array(RACERS).fill(200));
  const successors = new Set(responses.map((r) => refreshCookieOf(r)));
  expect(successors.size).toBe(1);
  expect(new Set(responses.map((r) => r.body.session.id))).toEqual(new Set([sessionId]));
  expect(await unspentRefreshTokenCount(sessionId)).toBe(1);
  return [...successors][0];
}

it(`${RACERS} concurrent refreshes of one token on one instance all get the same successor`, async () => {
  const device = await register(replicas[0].baseUrl);

  const responses = await race(device.refreshToken, [replicas[0]]);

  const successor = await expectOneSuccessor(responses, device.session.id);
  expect(successor).not.toBe(device.refreshToken);
  // Every response carries a working access token.
  const checks = await Promise.all(responses.map((r) => me(device.client, r.body.accessToken)));
  expect(checks.map((r) => r.status)).toEqual(Array(RACERS).fill(200));
  // The one successor is the live token.
  const next = await refreshWithBody(device.client, successor);
  expectStatus(next, 200);
  expect(await unspentRefreshTokenCount(device.session.id)).toBe(1);
});

it(`${RACERS} concurrent refreshes split across two instances spend the token once`, async () => {
  const device = await register(replicas[0].baseUrl);

  const responses = await race(device.refreshToken, replicas);

  const successor = await expectOneSuccessor(responses, device.session.id);
  const next = await refreshWithBody(new ApiClient(replicas[1].baseUrl), successor);
  expectStatus(next, 200);
  expect(await unspentRefreshTokenCount(device.session.id)).toBe(1);
});
