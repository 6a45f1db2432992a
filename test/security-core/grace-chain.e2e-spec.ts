import { me, refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';

// Security round 2, finding 8: inside the grace window a spent token is an idempotent retry only
// while its successor is the session's live token. A -> B -> C and then A again means someone
// holds an old link of the chain: that is reuse, never "here is B" (a dead token) or a walk to C.

let demo: DemoProcess;

beforeAll(async () => {
  // The default grace window (10 s) comfortably covers the whole test.
  demo = await startDemo({ name: 'grace-chain', env: { REUSE_GRACE_SECONDS: '10' } });
});

afterAll(async () => {
  await demo?.stop();
});

it('a spent token whose successor is itself spent is reuse, even inside the grace window', async () => {
  const device = await register(demo.baseUrl);
  const a = device.refreshToken;
  const toB = await refreshWithBody(device.client, a);
  expectStatus(toB, 200);
  const toC = await refreshWithBody(device.client, refreshCookieOf(toB));
  expectStatus(toC, 200);
  const c = refreshCookieOf(toC);

  expectError(await refreshWithBody(device.client, a), 401, 'REFRESH_TOKEN_REUSED');

  expectError(await refreshWithBody(device.client, c), 401, 'SESSION_REVOKED');
  expectError(await me(device.client, toC.body.accessToken), 401, 'SESSION_REVOKED');
});

it('the grace retry of the latest spent token still returns the live successor', async () => {
  const device = await register(demo.baseUrl);
  const toB = await refreshWithBody(device.client, device.refreshToken);
  const b = refreshCookieOf(toB);
  const toC = await refreshWithBody(device.client, b);
  expectStatus(toC, 200);

  const retry = await refreshWithBody(device.client, b);
  expectStatus(retry, 200);
  expect(refreshCookieOf(retry)).toBe(refreshCookieOf(toC));
  expectStatus(await me(device.client, retry.body.accessToken), 200);
});
