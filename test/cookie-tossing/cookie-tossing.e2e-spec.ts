import { register } from '../support/auth.js';
import { type DemoProcess, startDemo, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';

// Issue 19, L3. A sibling subdomain can plant a parent-domain `refresh_token` with a longer path,
// which browsers send first. The server now tries each duplicate (at most a few) and spends only
// the first token it issued; a `__Host-` name (REFRESH_COOKIE_NAME) stops the planting itself.

let demo: DemoProcess;
let noGrace: DemoProcess;

beforeAll(async () => {
  [demo, noGrace] = await startDemos(
    { name: 'cookie-tossing' },
    { name: 'cookie-tossing-no-grace', env: { REUSE_GRACE_SECONDS: '0' } },
  );
});

afterAll(() => stopDemos(demo, noGrace));

/** POST /auth/refresh with exactly this Cookie header (no body, no jar). */
function refreshWith(baseUrl: string, cookie: string): Promise<ApiResponse> {
  return new ApiClient(baseUrl).post('/auth/refresh', { headers: { cookie }, withCookie: false });
}

/** A token of the right shape whose MAC does not verify (one character of the MAC changed). */
function forged(token: string): string {
  const i = token.length - 10;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe('duplicate refresh cookies', () => {
  it('a planted junk cookie sent first no longer hides the real one', async () => {
    const device = await register(demo.baseUrl);

    const response = await refreshWith(
      demo.baseUrl,
      `refresh_token=junk; refresh_token=${device.refreshToken}`,
    );

    // Before: 401 REFRESH_TOKEN_INVALID (only the first value was read).
    expectStatus(response, 200);
  });

  it('a planted forged token of the right shape is skipped too, and the real one is spent once', async () => {
    const device = await register(demo.baseUrl);
    const header = `refresh_token=${forged(device.refreshToken)}; refresh_token=${device.refreshToken}`;

    const first = await refreshWith(demo.baseUrl, header);
    const again = await refreshWith(demo.baseUrl, header);

    expectStatus(first, 200);
    expectStatus(again, 200);
    // The second is a grace-window retry of the same spent token: the same successor, so the real
    // token was rotated exactly once and the forged one was never spent or counted.
    expect(again.cookies.refresh_token.value).toBe(first.cookies.refresh_token.value);
    expect(first.cookies.refresh_token.value).not.toBe(device.refreshToken);
  });

  it('a stale copy of the same session sent first is not taken for reuse: the newest generation is spent', async () => {
    const device = await register(noGrace.baseUrl);
    const rotated = await refreshWith(noGrace.baseUrl, `refresh_token=${device.refreshToken}`);
    expectStatus(rotated, 200);
    const live = rotated.cookies.refresh_token.value;

    const response = await refreshWith(
      noGrace.baseUrl,
      `refresh_token=${device.refreshToken}; refresh_token=${live}`,
    );

    // Before: 401 REFRESH_TOKEN_REUSED, and the session was revoked.
    expectStatus(response, 200);
  });

  it('a spent token presented alone is still reuse', async () => {
    const device = await register(noGrace.baseUrl);
    expectStatus(await refreshWith(noGrace.baseUrl, `refresh_token=${device.refreshToken}`), 200);

    const response = await refreshWith(noGrace.baseUrl, `refresh_token=${device.refreshToken}`);

    expectError(response, 401, 'REFRESH_TOKEN_REUSED');
  });

  it('only junk is still REFRESH_TOKEN_INVALID', async () => {
    const response = await refreshWith(demo.baseUrl, 'refresh_token=junk; refresh_token=more-junk');

    expectError(response, 401, 'REFRESH_TOKEN_INVALID');
  });
});

describe('token spelling (issue 19, informational)', () => {
  it('a non-canonical base64url spelling of a valid token is REFRESH_TOKEN_INVALID and spends nothing', async () => {
    const device = await register(demo.baseUrl);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(device.refreshToken.at(-1)!);
    // The same 70 bytes: the last character's 4 low bits are padding.
    const respelled = device.refreshToken.slice(0, -1) + alphabet[last | 1];

    const refused = await refreshWith(demo.baseUrl, `refresh_token=${respelled}`);
    const canonical = await refreshWith(demo.baseUrl, `refresh_token=${device.refreshToken}`);

    // Before: 200 (the decoded bytes verified).
    expectError(refused, 401, 'REFRESH_TOKEN_INVALID');
    expectStatus(canonical, 200);
  });
});

describe('REFRESH_COOKIE_NAME=__Host-refresh_token', () => {
  it('sets a __Host- cookie with Path=/ and Secure, and refreshes with it', async () => {
    const hosted = await startDemo({
      name: 'cookie-host-prefix',
      env: { REFRESH_COOKIE_NAME: '__Host-refresh_token', COOKIE_SECURE: 'true' },
    });
    try {
      const client = new ApiClient(hosted.baseUrl);
      const signedUp = await client.post('/auth/register', {
        json: { email: `host-${Date.now()}@example.com`, password: 'correct horse battery staple' },
      });
      const cookie = signedUp.cookies['__Host-refresh_token'];
      expect({
        status: signedUp.status,
        path: cookie?.attributes.path,
        secure: cookie?.attributes.secure,
      }).toEqual({
        status: 201,
        path: '/',
        secure: true,
      });

      const refreshed = await refreshWith(hosted.baseUrl, `__Host-refresh_token=${cookie.value}`);

      expectStatus(refreshed, 200);
      expect(refreshed.cookies['__Host-refresh_token']?.value).toMatch(/^[\w-]{94}$/);
    } finally {
      await stopDemos(hosted);
    }
  });

  it('refuses to start with COOKIE_SECURE=false, naming the option', async () => {
    let started: DemoProcess | undefined;
    let failure = '';
    try {
      started = await startDemo({
        name: 'cookie-host-insecure',
        env: { REFRESH_COOKIE_NAME: '__Host-refresh_token', COOKIE_SECURE: 'false' },
      });
    } catch (error) {
      failure = (error as Error).message;
    }
    if (started) await stopDemos(started);

    expect(failure).toContain('it exited with code 1');
    expect(failure).toContain('"cookieSecure" must be true for a __Host- cookie name');
  });
});
