import {
  me,
  refreshCookieOf,
  refreshWithBody,
  refreshWithCookie,
  register,
} from '../support/auth.js';
import { generationOf, refreshGeneration } from '../support/database.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectStatus } from '../support/expect-http.js';

// Refresh-token rotation on one instance: every refresh spends the presented token and issues one
// successor; presenting the spent token again inside the grace window is an idempotent retry.

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({ name: 'rotation' });
});

afterAll(async () => {
  await demo?.stop();
});

it('register sets the refresh cookie as the contract says', async () => {
  const device = await register(demo.baseUrl, { deviceName: 'Laptop' });
  const cookie = device.response.cookies.refresh_token;

  expect(cookie.attributes).toMatchObject({ httponly: true, path: '/auth' });
  expect(String(cookie.attributes.samesite).toLowerCase()).toBe('strict');
  // COOKIE_SECURE=false in tests, so the cookie works over plain http.
  expect(cookie.attributes.secure).toBeUndefined();
  expect(cookie.maxAge).toBeGreaterThan(0);
  // At least 256 bits: 43 base64url characters (or 64 hex ones).
  expect(cookie.value.length).toBeGreaterThanOrEqual(43);
  expect(device.session.id).toMatch(/^[0-9a-f-]{36}$/i);
  expect(device.accessTokenExpiresAt).toMatch(ISO_DATE);
});

it('a refresh gives a new access token and a new refresh cookie for the same session', async () => {
  const device = await register(demo.baseUrl, { deviceName: 'Laptop' });

  const refreshed = await refreshWithCookie(device.client);

  expectStatus(refreshed, 200);
  expect(refreshed.body).toEqual(
    expect.objectContaining({
      accessToken: expect.any(String),
      accessTokenExpiresAt: expect.stringMatching(ISO_DATE),
      session: expect.objectContaining({ id: device.session.id }),
    }),
  );
  expect(refreshed.body.accessToken).not.toBe(device.accessToken);
  const successor = refreshCookieOf(refreshed);
  expect(successor).not.toBe(device.refreshToken);
  expect(device.client.refreshToken).toBe(successor);

  // The old access token stays valid until its own expiry; the new one works as well.
  const withOld = await me(device.client, device.accessToken);
  expectStatus(withOld, 200);
  expect(withOld.body).toEqual({
    id: device.user.id,
    email: device.email,
    name: 'Test User',
    sessionId: device.session.id,
  });
  const withNew = await me(device.client, refreshed.body.accessToken);
  expectStatus(withNew, 200);
  expect(withNew.body.sessionId).toBe(device.session.id);

  // And the successor itself can be rotated again.
  const again = await refreshWithCookie(device.client);
  expectStatus(again, 200);
  expect(refreshCookieOf(again)).not.toBe(successor);
  expect(again.body.session.id).toBe(device.session.id);
});

it('a refresh token can also be sent in the body (transport "both")', async () => {
  const device = await register(demo.baseUrl);

  const refreshed = await refreshWithBody(device.client, device.refreshToken);

  expectStatus(refreshed, 200);
  expect(refreshed.body.session.id).toBe(device.session.id);
  expect(refreshCookieOf(refreshed)).not.toBe(device.refreshToken);
});

it('retrying a spent token inside the grace window returns the same successor', async () => {
  const device = await register(demo.baseUrl);
  const spent = device.refreshToken;

  const first = await refreshWithBody(device.client, spent);
  const retry = await refreshWithBody(device.client, spent);

  expectStatus(first, 200);
  expectStatus(retry, 200);
  expect(refreshCookieOf(retry)).toBe(refreshCookieOf(first));
  expect(retry.body.session.id).toBe(device.session.id);
  // A fresh access token, not a replay of the first one, and it works.
  expect(retry.body.accessToken).not.toBe(first.body.accessToken);
  expectStatus(await me(device.client, retry.body.accessToken), 200);
  // Never a second live branch: the token was spent once, and the successor is the live one.
  expect(await refreshGeneration(device.session.id)).toBe(1);
  expect(generationOf(refreshCookieOf(first))).toBe(1);

  // The shared successor is the live token and rotates normally.
  const next = await refreshWithBody(device.client, refreshCookieOf(first));
  expectStatus(next, 200);
  expect(refreshCookieOf(next)).not.toBe(refreshCookieOf(first));
  expect(await refreshGeneration(device.session.id)).toBe(2);
});
