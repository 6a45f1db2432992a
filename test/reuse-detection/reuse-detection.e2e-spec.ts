import { me, refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { sleep } from '../support/timing.js';

// A spent refresh token presented after the grace window means it was copied: the session is
// revoked, and neither its access token nor the legitimate successor works any more.

const GRACE_SECONDS = 1;

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({
    name: 'reuse-detection',
    env: { REUSE_GRACE_SECONDS: String(GRACE_SECONDS) },
  });
});

afterAll(async () => {
  await demo?.stop();
});

it('a spent token presented after the grace window revokes the session', async () => {
  const device = await register(demo.baseUrl);
  const stolen = device.refreshToken;
  const rotated = await refreshWithBody(device.client, stolen);
  expectStatus(rotated, 200);
  const successor = refreshCookieOf(rotated);
  const accessToken = rotated.body.accessToken as string;

  await sleep(GRACE_SECONDS * 1000 + 600);
  const reuse = await refreshWithBody(device.client, stolen);

  expectError(reuse, 401, 'REFRESH_TOKEN_REUSED');
  expectError(await me(device.client, accessToken), 401, 'SESSION_REVOKED');
  expectError(await me(device.client, device.accessToken), 401, 'SESSION_REVOKED');
  expectError(await refreshWithBody(device.client, successor), 401, 'SESSION_REVOKED');
});

it('inside the (short) window the same spent token is still an idempotent retry', async () => {
  const device = await register(demo.baseUrl);

  const first = await refreshWithBody(device.client, device.refreshToken);
  const retry = await refreshWithBody(device.client, device.refreshToken);

  expectStatus(first, 200);
  expectStatus(retry, 200);
  expect(refreshCookieOf(retry)).toBe(refreshCookieOf(first));
  expectStatus(await me(device.client, retry.body.accessToken), 200);
});

it('reuse on one session leaves another user alone', async () => {
  const victim = await register(demo.baseUrl);
  const bystander = await register(demo.baseUrl);
  expectStatus(await refreshWithBody(victim.client, victim.refreshToken), 200);

  await sleep(GRACE_SECONDS * 1000 + 600);
  expectError(
    await refreshWithBody(victim.client, victim.refreshToken),
    401,
    'REFRESH_TOKEN_REUSED',
  );

  expectStatus(await me(bystander.client, bystander.accessToken), 200);
  expectStatus(await refreshWithBody(bystander.client, bystander.refreshToken), 200);
});
