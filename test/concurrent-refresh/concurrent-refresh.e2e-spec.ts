import {
  me,
  refreshCookieOf,
  refreshWithBody,
  refreshWithCookie,
  register,
} from '../support/auth.js';
import { generationOf, refreshGeneration } from '../support/database.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';
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

/** Fires RACERS refreshes of `token` at once, spread over `targets`, as cookie or body. */
async function race(
  token: string,
  targets: DemoProcess[],
  transport: 'cookie' | 'body',
): Promise<ApiResponse[]> {
  const clients = Array.from({ length: RACERS }, (_, i) => {
    const client = new ApiClient(targets[i % targets.length].baseUrl);
    client.refreshToken = token;
    return client;
  });
  return Promise.all(
    clients.map((client) =>
      transport === 'cookie' ? refreshWithCookie(client) : refreshWithBody(client, token),
    ),
  );
}

function countOutcomes(responses: ApiResponse[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of responses) {
    const outcome = r.status === 200 ? '200' : `${r.status} ${r.body?.code ?? ''}`;
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

async function expectOneSuccessor(responses: ApiResponse[], sessionId: string) {
  // Counted by outcome, so a failure reads like { '200': 1, '401 REFRESH_TOKEN_REUSED': 49 }.
  expect(countOutcomes(responses)).toEqual({ '200': RACERS });
  const successors = new Set(responses.map((r) => refreshCookieOf(r)));
  expect(successors.size).toBe(1);
  expect(new Set(responses.map((r) => r.body.session.id))).toEqual(new Set([sessionId]));
  // Spent once: the session moved one generation on, and the successor is that generation's token.
  expect(await refreshGeneration(sessionId)).toBe(1);
  expect(generationOf([...successors][0])).toBe(1);
  return [...successors][0];
}

it(`${RACERS} concurrent cookie refreshes of one token on one instance get the same successor`, async () => {
  const device = await register(replicas[0].baseUrl);

  const responses = await race(device.refreshToken, [replicas[0]], 'cookie');

  const successor = await expectOneSuccessor(responses, device.session.id);
  expect(successor).not.toBe(device.refreshToken);
  // Every response carries a working access token.
  const checks = await Promise.all(responses.map((r) => me(device.client, r.body.accessToken)));
  expect(countOutcomes(checks)).toEqual({ '200': RACERS });
  // The one successor is the live token.
  const next = await refreshWithBody(device.client, successor);
  expectStatus(next, 200);
  expect(await refreshGeneration(device.session.id)).toBe(2);
});

it(`${RACERS} concurrent body refreshes split across two instances spend the token once`, async () => {
  const device = await register(replicas[0].baseUrl);

  const responses = await race(device.refreshToken, replicas, 'body');

  const successor = await expectOneSuccessor(responses, device.session.id);
  const next = await refreshWithBody(new ApiClient(replicas[1].baseUrl), successor);
  expectStatus(next, 200);
  expect(await refreshGeneration(device.session.id)).toBe(2);
});
