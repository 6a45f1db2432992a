import { login, me, refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';

// Without REDIS_URL the demo runs single-instance on the in-process cache: the same contract holds.

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({ name: 'no-redis', env: { REDIS_URL: undefined } });
});

afterAll(async () => {
  await demo?.stop();
});

it('says it runs on the in-process cache', () => {
  expect(demo.output()).toMatch(/in-process/);
});

it('rotates, retries within the grace window and revokes with the in-process cache', async () => {
  const device = await register(demo.baseUrl);
  const other = await login(demo.baseUrl, device.email, device.password);
  expectStatus(await me(other.client, other.accessToken), 200);

  const first = await refreshWithBody(device.client, device.refreshToken);
  const retry = await refreshWithBody(device.client, device.refreshToken);
  expectStatus(first, 200);
  expectStatus(retry, 200);
  expect(refreshCookieOf(retry)).toBe(refreshCookieOf(first));

  const terminated = await device.client.delete(`/auth/sessions/${other.session.id}`, {
    token: first.body.accessToken,
  });
  expectStatus(terminated, 204);
  expectError(await me(other.client, other.accessToken), 401, 'SESSION_REVOKED');
  expectStatus(await me(device.client, first.body.accessToken), 200);
});
