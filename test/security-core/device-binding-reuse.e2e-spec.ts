import { login, me, refreshCookieOf, refreshWithBody, register } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectGraceRetry, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { closeAllSessionSockets, connectSessionSocket } from '../support/sockets.js';
import { sleep } from '../support/timing.js';

// Security round 2, finding 7: with device binding on, a spent refresh token replayed from another
// device is theft, not a device mismatch. Reuse detection comes before the binding check, so the
// session is revoked (and SESSION_REUSE_DETECTED goes out) instead of a quiet DEVICE_MISMATCH.

const GRACE_SECONDS = 1;
const THIEF_AGENT = 'curl/8.5.0 (thief)';

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({
    name: 'device-binding-reuse',
    env: { BIND_USER_AGENT: 'true', REUSE_GRACE_SECONDS: String(GRACE_SECONDS) },
  });
});

afterAll(async () => {
  closeAllSessionSockets();
  await demo?.stop();
});

it('a spent token replayed from another device after the grace window is reuse: the session is revoked and the user alerted', async () => {
  const device = await register(demo.baseUrl);
  const other = await login(demo.baseUrl, device.email, device.password);
  const otherSocket = await connectSessionSocket(demo.baseUrl, other.accessToken, 'other device');
  const stolen = device.refreshToken;
  const rotated = await refreshWithBody(device.client, stolen);
  expectStatus(rotated, 200);
  const successor = refreshCookieOf(rotated);

  await sleep(GRACE_SECONDS * 1000 + 600);
  const thief = new ApiClient(demo.baseUrl, THIEF_AGENT);
  expectError(await refreshWithBody(thief, stolen), 401, 'REFRESH_TOKEN_REUSED');

  const alert = await otherSocket.waitFor('SESSION_REUSE_DETECTED');
  expect(alert.payload).toEqual({ sessionId: device.session.id, cause: 'token-reused' });
  expectError(await refreshWithBody(device.client, successor), 401, 'SESSION_REVOKED');
  expectError(await me(device.client, rotated.body.accessToken), 401, 'SESSION_REVOKED');
});

it('a spent token replayed from another device inside the grace window is reuse too, not a retry', async () => {
  const device = await register(demo.baseUrl);
  const rotated = await refreshWithBody(device.client, device.refreshToken);
  expectStatus(rotated, 200);

  const thief = new ApiClient(demo.baseUrl, THIEF_AGENT);
  expectError(await refreshWithBody(thief, device.refreshToken), 401, 'REFRESH_TOKEN_REUSED');
  expectError(await me(device.client, rotated.body.accessToken), 401, 'SESSION_REVOKED');
});

it('the live token presented from another device is still refused as DEVICE_MISMATCH, and the session lives', async () => {
  const device = await register(demo.baseUrl);
  const thief = new ApiClient(demo.baseUrl, THIEF_AGENT);

  expectError(await refreshWithBody(thief, device.refreshToken), 401, 'DEVICE_MISMATCH');
  expectStatus(await refreshWithBody(device.client, device.refreshToken), 200);
});

it('the same device retrying inside the grace window still gets the same successor', async () => {
  const device = await register(demo.baseUrl);
  await expectGraceRetry(device.client, device.refreshToken);
});
