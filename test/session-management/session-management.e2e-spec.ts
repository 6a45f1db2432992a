import {
  login,
  me,
  refreshWithBody,
  refreshWithCookie,
  register,
  type SignedIn,
} from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { nowSeconds, signHmacJwt } from '../support/jwt.mjs';
import { expectError, expectStatus } from '../support/expect-http.js';

// A user's view of their devices: list them, sign one out, sign out the others or everything, and
// log out. An ended session is refused by the guard and by the refresh endpoint.

const FIREFOX_ON_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0';

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({ name: 'session-management' });
});

afterAll(async () => {
  await demo?.stop();
});

/** One user signed in on `count` devices: the first registers, the others log in. */
async function userOnDevices(count: number): Promise<SignedIn[]> {
  const first = await register(demo.baseUrl, { deviceName: 'Device 1' });
  const others = await Promise.all(
    Array.from({ length: count - 1 }, (_, i) =>
      login(demo.baseUrl, first.email, first.password, { deviceName: `Device ${i + 2}` }),
    ),
  );
  return [first, ...others];
}

function listSessions(device: SignedIn) {
  return device.client.get('/auth/sessions', { token: device.accessToken });
}

async function expectEnded(device: SignedIn): Promise<void> {
  expectError(await me(device.client, device.accessToken), 401, 'SESSION_REVOKED');
  expectError(await refreshWithBody(device.client, device.refreshToken), 401, 'SESSION_REVOKED');
}

async function expectActive(device: SignedIn): Promise<void> {
  expectStatus(await me(device.client, device.accessToken), 200);
}

describe('GET /auth/sessions', () => {
  it('lists every device of the user with exactly one marked current', async () => {
    const laptop = await register(demo.baseUrl, { deviceName: 'Work laptop' });
    const phone = await login(demo.baseUrl, laptop.email, laptop.password, {
      deviceName: 'Personal Mac',
      userAgent: FIREFOX_ON_MAC,
    });

    const response = await listSessions(laptop);

    expectStatus(response, 200);
    const sessions = response.body as Record<string, unknown>[];
    expect(sessions.map((s) => s.id).sort()).toEqual([laptop.session.id, phone.session.id].sort());
    for (const session of sessions) {
      expect(session).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          deviceName: expect.any(String),
          browser: expect.any(String),
          os: expect.any(String),
          ip: expect.stringMatching(/127\.0\.0\.1|::1/),
          createdAt: expect.any(String),
          lastActiveAt: expect.any(String),
          current: expect.any(Boolean),
        }),
      );
      expect(Number.isNaN(Date.parse(String(session.createdAt)))).toBe(false);
      expect(Number.isNaN(Date.parse(String(session.lastActiveAt)))).toBe(false);
      // Nothing secret leaks into the device list.
      expect(Object.keys(session).filter((key) => /token|hash|secret/i.test(key))).toEqual([]);
    }
    expect(sessions.filter((s) => s.current)).toEqual([
      expect.objectContaining({ id: laptop.session.id }),
    ]);
    const mac = sessions.find((s) => s.id === phone.session.id)!;
    expect(mac).toMatchObject({ deviceName: 'Personal Mac', current: false });
    expect(mac.browser).toMatch(/Firefox/);
    expect(mac.os).toMatch(/Mac/);
    const windows = sessions.find((s) => s.id === laptop.session.id)!;
    expect(windows.browser).toMatch(/Chrome/);
    expect(windows.os).toMatch(/Windows/);

    // Seen from the other device, the other one is current.
    const fromPhone = await listSessions(phone);
    expectStatus(fromPhone, 200);
    expect(fromPhone.body.filter((s: { current: boolean }) => s.current)).toEqual([
      expect.objectContaining({ id: phone.session.id }),
    ]);
  });

  it('needs an access token', async () => {
    const device = await register(demo.baseUrl);
    expectError(await device.client.get('/auth/sessions'), 401, 'ACCESS_TOKEN_MISSING');
  });
});

describe('POST /auth/logout', () => {
  it('ends the session, clears the cookie and leaves the other devices signed in', async () => {
    const [device, other] = await userOnDevices(2);

    const response = await device.client.post('/auth/logout', { token: device.accessToken });

    expectStatus(response, 204);
    const cookie = response.cookies.refresh_token;
    expect(cookie).toBeDefined();
    expect(cookie.cleared).toBe(true);
    expect(cookie.attributes.path).toBe('/auth');
    expect(device.client.refreshToken).toBeUndefined();
    await expectEnded(device);
    await expectActive(other);
  });

  it('needs an access token or the refresh cookie', async () => {
    const device = await register(demo.baseUrl);
    expectError(
      await device.client.post('/auth/logout', { withCookie: false }),
      401,
      'ACCESS_TOKEN_MISSING',
    );
    await expectActive(device);
  });

  // L1: a browser whose access token is gone (reload, expiry, memory lost) signs out with the
  // HttpOnly cookie it still has; without this, the session outlived a "signed out" page.
  it('with only the refresh cookie ends that session and clears the cookie', async () => {
    const [device, other] = await userOnDevices(2);

    const response = await device.client.post('/auth/logout');

    expectStatus(response, 204);
    expect(response.cookies.refresh_token?.cleared).toBe(true);
    await expectEnded(device);
    await expectActive(other);
  });

  it('with an expired or invalid access token falls back to the refresh cookie', async () => {
    for (const stale of ['expired', 'invalid'] as const) {
      const device = await register(demo.baseUrl);
      const now = nowSeconds();
      const claims = { sub: device.user.id, sid: device.session.id, jti: 'x', iat: now - 120 };
      const token =
        stale === 'expired'
          ? signHmacJwt({ ...claims, exp: now - 60 }, testEnv().jwtSecret)
          : 'not-a-jwt';

      expectStatus(await device.client.post('/auth/logout', { token }), 204);
      await expectEnded(device);
    }
  });

  it('with a valid access token ends its session, not the one the cookie names', async () => {
    const [device, other] = await userOnDevices(2);
    device.client.refreshToken = other.refreshToken;

    expectStatus(await device.client.post('/auth/logout', { token: device.accessToken }), 204);

    expectError(await me(device.client, device.accessToken), 401, 'SESSION_REVOKED');
    await expectActive(other);
  });

  it('refuses a refresh cookie it did not issue, and ends nothing', async () => {
    const device = await register(demo.baseUrl);
    const forged =
      device.refreshToken.slice(0, -4) + (device.refreshToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    device.client.refreshToken = forged;

    expectError(await device.client.post('/auth/logout'), 401, 'REFRESH_TOKEN_INVALID');
    await expectActive(device);
  });

  it('a retried logout with the cookie of a session that already ended is a 204 all the same', async () => {
    const device = await register(demo.baseUrl);
    const cookie = device.refreshToken;
    expectStatus(await device.client.post('/auth/logout', { token: device.accessToken }), 204);
    device.client.refreshToken = cookie; // the answer (and its cleared cookie) was lost

    const retried = await device.client.post('/auth/logout');

    expectStatus(retried, 204);
    expect(retried.cookies.refresh_token?.cleared).toBe(true);
  });
});

describe('DELETE /auth/sessions/:id', () => {
  it('signs out one other device and only that one', async () => {
    const [current, target, bystander] = await userOnDevices(3);

    const response = await current.client.delete(`/auth/sessions/${target.session.id}`, {
      token: current.accessToken,
    });

    expectStatus(response, 204);
    await expectEnded(target);
    await expectActive(current);
    await expectActive(bystander);
    const list = await listSessions(current);
    expect(list.body.map((s: { id: string }) => s.id).sort()).toEqual(
      [current.session.id, bystander.session.id].sort(),
    );
  });

  it('can end the current session itself', async () => {
    const [current, other] = await userOnDevices(2);

    const response = await current.client.delete(`/auth/sessions/${current.session.id}`, {
      token: current.accessToken,
    });

    expectStatus(response, 204);
    await expectEnded(current);
    await expectActive(other);
  });
});

describe('DELETE /auth/sessions?scope=', () => {
  it('scope=others ends every other device and keeps the current one', async () => {
    const [current, ...others] = await userOnDevices(3);

    const response = await current.client.delete('/auth/sessions?scope=others', {
      token: current.accessToken,
    });

    expectStatus(response, 204);
    for (const other of others) await expectEnded(other);
    await expectActive(current);
    expectStatus(await refreshWithCookie(current.client), 200);
    const list = await listSessions(current);
    expect(list.body).toEqual([expect.objectContaining({ id: current.session.id, current: true })]);
  });

  it('scope=all ends every device including the current one', async () => {
    const devices = await userOnDevices(3);

    const response = await devices[0].client.delete('/auth/sessions?scope=all', {
      token: devices[0].accessToken,
    });

    expectStatus(response, 204);
    for (const device of devices) await expectEnded(device);
  });
});
