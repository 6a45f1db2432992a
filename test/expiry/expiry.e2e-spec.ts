import { me, refreshWithCookie, register } from '../support/auth.js';
import { absoluteExpiry } from '../support/database.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import type { ApiResponse } from '../support/http-client.js';
import { decodeJwt } from '../support/jwt.mjs';
import { sleep } from '../support/timing.js';

// The three clocks of a session: the access token's own expiry, the idle timeout that every refresh
// pushes back, and the absolute lifetime that rotation never extends.

const ACCESS_TTL = 1;
const IDLE_TTL = 2;
const ABSOLUTE_TTL = 3;

let accessDemo: DemoProcess;
let idleDemo: DemoProcess;
let absoluteDemo: DemoProcess;

beforeAll(async () => {
  [accessDemo, idleDemo, absoluteDemo] = await startDemos(
    { name: 'expiry-access', env: { ACCESS_TOKEN_TTL: String(ACCESS_TTL) } },
    { name: 'expiry-idle', env: { REFRESH_IDLE_TTL: String(IDLE_TTL) } },
    {
      name: 'expiry-absolute',
      env: { REFRESH_IDLE_TTL: '60', REFRESH_ABSOLUTE_TTL: String(ABSOLUTE_TTL) },
    },
  );
});

afterAll(async () => {
  await stopDemos(accessDemo, idleDemo, absoluteDemo);
});

describe('access token', () => {
  it(`expires after ACCESS_TOKEN_TTL=${ACCESS_TTL}s with ACCESS_TOKEN_EXPIRED; a refresh still works`, async () => {
    const device = await register(accessDemo.baseUrl);
    const { payload } = decodeJwt(device.accessToken);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(ACCESS_TTL);
    expect(
      Math.abs(Date.parse(device.accessTokenExpiresAt) - Number(payload.exp) * 1000),
    ).toBeLessThan(1000);

    await sleep(ACCESS_TTL * 1000 + 1200);

    expectError(await me(device.client, device.accessToken), 401, 'ACCESS_TOKEN_EXPIRED');
    // Only the access token expired, not the session.
    const refreshed = await refreshWithCookie(device.client);
    expectStatus(refreshed, 200);
    expectStatus(await me(device.client, refreshed.body.accessToken), 200);
  });
});

describe('idle timeout', () => {
  it(`a session not refreshed for REFRESH_IDLE_TTL=${IDLE_TTL}s is over`, async () => {
    const device = await register(idleDemo.baseUrl);

    await sleep(IDLE_TTL * 1000 + 1000);

    expectError(await refreshWithCookie(device.client), 401, 'REFRESH_TOKEN_EXPIRED');
    expectError(await me(device.client, device.accessToken), 401, 'SESSION_REVOKED');
  });

  it('every refresh pushes the idle deadline back', async () => {
    const device = await register(idleDemo.baseUrl);

    // 1.2 s + 1.2 s: past the idle TTL counted from sign-in, within it counted from each refresh.
    await sleep(1200);
    expectStatus(await refreshWithCookie(device.client), 200);
    await sleep(1200);
    const second = await refreshWithCookie(device.client);

    expectStatus(second, 200);
    expectStatus(await me(device.client, second.body.accessToken), 200);
  });
});

describe('absolute lifetime', () => {
  it(`ends the session after REFRESH_ABSOLUTE_TTL=${ABSOLUTE_TTL}s however often it is refreshed`, async () => {
    const device = await register(absoluteDemo.baseUrl);
    const deadline = (await absoluteExpiry(device.session.id)).getTime();
    expect(deadline - Date.now()).toBeLessThanOrEqual(ABSOLUTE_TTL * 1000);
    expect(device.response.cookies.refresh_token.maxAge).toBe(ABSOLUTE_TTL);

    const maxAges: number[] = [ABSOLUTE_TTL];
    let failure: ApiResponse | undefined;
    let failedAt = 0;
    for (let attempt = 0; attempt < ABSOLUTE_TTL + 3; attempt++) {
      await sleep(1000);
      const sentAt = Date.now();
      const response = await refreshWithCookie(device.client);
      const receivedAt = Date.now();
      if (response.status !== 200) {
        failure = response;
        failedAt = receivedAt;
        break;
      }
      // Max-Age is the remaining absolute lifetime, rounded up to whole seconds, as seen by the
      // server somewhere between sending and receiving.
      const maxAge = response.cookies.refresh_token.maxAge;
      const expected = {
        atLeast: Math.ceil((deadline - receivedAt) / 1000),
        atMost: Math.ceil((deadline - sentAt) / 1000),
      };
      const inRange =
        maxAge !== undefined && maxAge >= expected.atLeast && maxAge <= expected.atMost;
      expect({ maxAge, ...expected, inRange }).toMatchObject({ inRange: true });
      maxAges.push(maxAge!);
    }

    expect(failure).toBeDefined();
    expectError(failure!, 401, 'REFRESH_TOKEN_EXPIRED');
    // It failed because the deadline had passed, not earlier, and not much later.
    expect(failedAt).toBeGreaterThanOrEqual(deadline - 5);
    expect(failedAt - deadline).toBeLessThan(1500);
    // The cookie's Max-Age counted down; rotation never extended the session.
    expect(maxAges.length).toBeGreaterThanOrEqual(ABSOLUTE_TTL);
    maxAges.slice(1).forEach((maxAge, i) => expect(maxAge).toBeLessThan(maxAges[i]));
    expect((await absoluteExpiry(device.session.id)).getTime()).toBe(deadline);
    expectError(await me(device.client, device.accessToken), 401, 'SESSION_REVOKED');
  });
});
