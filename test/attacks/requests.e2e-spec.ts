import { randomBytes } from 'node:crypto';
import {
  DEFAULT_PASSWORD,
  login,
  me,
  refreshWithBody,
  register,
  type SignedIn,
  uniqueEmail,
} from '../support/auth.js';
import { query } from '../support/database.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import {
  expectError,
  expectNoServerError,
  expectOneOfErrors,
  expectStatus,
} from '../support/expect-http.js';
import { ApiClient, type ApiResponse, REFRESH_COOKIE } from '../support/http-client.js';
import { decodeJwt, signHmacJwt } from '../support/jwt.mjs';

// Hostile requests: prototype-pollution and SQL-shaped input, oversized headers and bodies, other
// users' session ids on every session route, refresh-token guessing, and the refresh cookie's
// flags. Each gets its documented 4xx, nothing gets a 500, and the server keeps serving.

const REFRESH_LIMIT = 20;
const ABSOLUTE_TTL = 86_400; // the harness default REFRESH_ABSOLUTE_TTL

let demo: DemoProcess;
/** RATE_LIMIT_REFRESH lowered, so guessing meets the limit within one test. */
let throttled: DemoProcess;
/** COOKIE_SECURE=true, as in production (the harness default is false, for plain http). */
let secure: DemoProcess;
let client: ApiClient;
/** A user signed in before every attack, who must stay signed in through all of them. */
let canary: SignedIn;

beforeAll(async () => {
  [demo, throttled, secure] = await startDemos(
    { name: 'attacks-requests' },
    { name: 'attacks-refresh-limit', env: { RATE_LIMIT_REFRESH: String(REFRESH_LIMIT) } },
    { name: 'attacks-cookies', env: { COOKIE_SECURE: 'true' } },
  );
  client = new ApiClient(demo.baseUrl);
  canary = await register(demo.baseUrl, { deviceName: 'Canary' });
});

afterAll(async () => {
  await stopDemos(demo, throttled, secure);
});

afterEach(async () => {
  if (!demo) return;
  expectStatus(await client.get('/health'), 200);
  expectStatus(await me(canary.client, canary.accessToken), 200);
});

/** A raw JSON text, so keys such as `__proto__` reach the server as written. */
function rawJson(fields: Record<string, unknown>, extra: string): string {
  return JSON.stringify(fields).replace(/}$/, `,${extra}}`);
}

describe('prototype pollution', () => {
  const POISON =
    '{"admin":true,"name":"polluted","deviceName":"polluted","email":"polluted@example.com","password":"polluted-password"}';
  const carriers: [string, string][] = [
    ['__proto__', `"__proto__":${POISON}`],
    ['constructor.prototype', `"constructor":{"prototype":${POISON}}`],
    ['deviceName.__proto__', `"deviceName":{"__proto__":${POISON}}`],
  ];

  it.each(carriers)(
    'a %s key in a register body is refused or ignored, never applied',
    async (_, extra) => {
      const email = uniqueEmail('pollute');
      const response = await client.post('/auth/register', {
        body: rawJson({ email, password: DEFAULT_PASSWORD }, extra),
      });
      expectRefusedOrIgnored(response, 201);
      if (response.status === 201) {
        expect(response.body.user).toEqual({ id: expect.any(String), email, name: null });
        expect(response.body.session.deviceName).not.toBe('polluted');
      }
    },
  );

  it.each(carriers)(
    'a %s key in a login body is refused or ignored, never applied',
    async (_, extra) => {
      const response = await client.post('/auth/login', {
        body: rawJson({ email: canary.email, password: DEFAULT_PASSWORD }, extra),
      });
      expectRefusedOrIgnored(response, 200);
      if (response.status === 200) {
        expect(response.body.user).toEqual(canary.user);
        expect(response.body.session.deviceName).not.toBe('polluted');
      }
    },
  );

  it('a refresh token smuggled in __proto__ is not read: 401 REFRESH_TOKEN_MISSING, and it stays unspent', async () => {
    const device = await register(demo.baseUrl);
    const response = await client.post('/auth/refresh', {
      body: `{"__proto__":{"refreshToken":"${device.refreshToken}"}}`,
      withCookie: false,
    });
    expectError(response, 401, 'REFRESH_TOKEN_MISSING');
    // Had it been spent, presenting it now would be a grace retry at best; it is a plain rotation.
    const honest = await refreshWithBody(device.client, device.refreshToken);
    expectStatus(honest, 200);
    expect(honest.body.refreshToken).not.toBe(device.refreshToken);
  });

  it.each(['__proto__[scope]=all', 'scope[__proto__]=all', 'constructor[prototype][scope]=all'])(
    'the query ?%s on DELETE /auth/sessions is 400 VALIDATION_FAILED and ends nothing',
    async (q) => {
      const device = await register(demo.baseUrl);
      const second = await login(demo.baseUrl, device.email, device.password);
      const response = await device.client.delete(`/auth/sessions?${q}`, {
        token: device.accessToken,
      });
      expectError(response, 400, 'VALIDATION_FAILED');
      expectStatus(await me(device.client, device.accessToken), 200);
      expectStatus(await me(second.client, second.accessToken), 200);
    },
  );

  it('afterwards nothing inherited a polluted property: defaults, validation and responses are intact', async () => {
    // Without name or deviceName, a polluted Object.prototype would supply them...
    const email = uniqueEmail('after-pollution');
    const created = await client.post('/auth/register', {
      json: { email, password: DEFAULT_PASSWORD },
    });
    expectStatus(created, 201);
    expect(created.body.user).toEqual({ id: expect.any(String), email, name: null });
    expect(created.body.session.deviceName).not.toBe('polluted');
    expect(Object.keys(created.body).sort()).toEqual(
      ['accessToken', 'accessTokenExpiresAt', 'refreshToken', 'session', 'user'].sort(),
    );
    // ...and an empty body would pass validation with inherited email and password.
    expectError(await client.post('/auth/login', { json: {} }), 400, 'VALIDATION_FAILED');
    const profile = await me(client, created.body.accessToken);
    expectStatus(profile, 200);
    expect(Object.keys(profile.body).sort()).toEqual(['email', 'id', 'name', 'sessionId']);
  });
});

describe('SQL-shaped strings', () => {
  const INJECTIONS = [
    "' OR 1=1 --",
    "'; DROP TABLE users; --",
    "admin'--",
    '1; SELECT pg_sleep(5)',
  ];
  let usersBefore: number;

  beforeAll(async () => {
    [{ count: usersBefore }] = await query<{ count: number }>(
      'SELECT count(*)::int AS count FROM users',
    );
  });

  afterAll(async () => {
    // Every table is still there, and no row went missing.
    const tables = await query<{ name: string | null }>(
      `SELECT to_regclass(name)::text AS name FROM unnest(ARRAY['users', 'sessions']) AS name`,
    );
    expect(tables.map((t) => t.name)).toEqual(['users', 'sessions']);
    const [{ count }] = await query<{ count: number }>('SELECT count(*)::int AS count FROM users');
    expect(count).toBeGreaterThanOrEqual(usersBefore);
  });

  it.each(INJECTIONS)('as the email of a login (%s) it is 400 VALIDATION_FAILED', async (sql) => {
    const response = await client.post('/auth/login', {
      json: { email: sql, password: 'whatever' },
    });
    expectError(response, 400, 'VALIDATION_FAILED');
  });

  it.each(INJECTIONS)(
    'as the password of a real account (%s) it is 401 INVALID_CREDENTIALS',
    async (sql) => {
      const response = await client.post('/auth/login', {
        json: { email: canary.email, password: sql },
      });
      expectError(response, 401, 'INVALID_CREDENTIALS');
    },
  );

  it("inside a valid email address (admin'--@example.com) it is an ordinary unknown email", async () => {
    const response = await client.post('/auth/login', {
      json: {
        email: `admin'--${randomBytes(3).toString('hex')}@example.com`,
        password: 'whatever',
      },
    });
    expectError(response, 401, 'INVALID_CREDENTIALS');
  });

  it('as a quoted email local part it is refused or stored verbatim, and then signs in as itself', async () => {
    const email = `"'; drop table users; --${randomBytes(3).toString('hex')}"@example.com`;
    const response = await client.post('/auth/register', {
      json: { email, password: DEFAULT_PASSWORD },
    });
    expectNoServerError(response);
    if (response.status !== 201) {
      expectError(response, 400, 'VALIDATION_FAILED');
      return;
    }
    expect(response.body.user.email).toBe(email);
    const again = await login(demo.baseUrl, email);
    expect(again.user.id).toBe(response.body.user.id);
  });

  it.each(INJECTIONS)(
    'as a name and device name (%s) it is stored and shown verbatim',
    async (sql) => {
      const device = await register(demo.baseUrl, { name: sql, deviceName: sql });
      expect(device.user.name).toBe(sql);
      const sessions = await device.client.get('/auth/sessions', { token: device.accessToken });
      expectStatus(sessions, 200);
      expect(sessions.body.map((s: { deviceName: string }) => s.deviceName)).toEqual([sql]);
      expect((await me(device.client, device.accessToken)).body.name).toBe(sql);
    },
  );

  it.each(INJECTIONS)(
    'as a session id to DELETE (%s) it is 404 SESSION_NOT_FOUND and ends nothing',
    async (sql) => {
      const device = await register(demo.baseUrl);
      const response = await device.client.delete(`/auth/sessions/${encodeURIComponent(sql)}`, {
        token: device.accessToken,
      });
      expectError(response, 404, 'SESSION_NOT_FOUND');
      expectStatus(await me(device.client, device.accessToken), 200);
    },
  );

  it.each(INJECTIONS)('as a scope (%s) it is 400 VALIDATION_FAILED', async (sql) => {
    const response = await client.delete(`/auth/sessions?scope=${encodeURIComponent(sql)}`, {
      token: canary.accessToken,
    });
    expectError(response, 400, 'VALIDATION_FAILED');
  });

  it.each(INJECTIONS)('as a refresh token (%s) it is 401 REFRESH_TOKEN_INVALID', async (sql) => {
    const response = await client.post('/auth/refresh', {
      json: { refreshToken: sql },
      withCookie: false,
    });
    expectError(response, 401, 'REFRESH_TOKEN_INVALID');
  });

  it.each(INJECTIONS)(
    'as the sid or sub of a validly signed token (%s) it is 401 SESSION_REVOKED',
    async (sql) => {
      const claims = decodeJwt(canary.accessToken).payload;
      for (const token of [
        signHmacJwt({ ...claims, sid: sql }, testEnv().jwtSecret),
        signHmacJwt({ ...claims, sub: sql }, testEnv().jwtSecret),
      ]) {
        expectError(await me(client, token), 401, 'SESSION_REVOKED');
      }
    },
  );

  it('as an X-Device-Id header it is handled like any device id', async () => {
    const response = await client.post('/auth/login', {
      json: { email: canary.email, password: DEFAULT_PASSWORD },
      headers: { 'x-device-id': "'; DROP TABLE sessions; --" },
    });
    expectStatus(response, 200);
  });
});

describe('oversized headers and bodies', () => {
  it('a deeply nested JSON body (15,000 levels, 90 kB) is 400 VALIDATION_FAILED, not a 500', async () => {
    const depth = 15_000;
    const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const response = await client.post('/auth/register', {
      body: rawJson(
        { email: uniqueEmail('deep'), password: DEFAULT_PASSWORD },
        `"extra":${nested}`,
      ),
    });
    expectError(response, 400, 'VALIDATION_FAILED');
  });

  it('a 40 KB Authorization header is refused by Node with 431', async () => {
    const response = await client.get('/me', { token: 'a'.repeat(40 * 1024) });
    expect(response.status).toBe(431);
  });

  it('a 40 KB refresh cookie is refused by Node with 431', async () => {
    const response = await client.post('/auth/refresh', {
      headers: { cookie: `${REFRESH_COOKIE}=${'a'.repeat(40 * 1024)}` },
      withCookie: false,
    });
    expect(response.status).toBe(431);
  });

  it('a 12 KB bearer token (under the header limit) is 401 ACCESS_TOKEN_INVALID', async () => {
    expectError(
      await client.get('/me', { token: 'a'.repeat(12 * 1024) }),
      401,
      'ACCESS_TOKEN_INVALID',
    );
  });

  it.each(['/auth/register', '/auth/login', '/auth/refresh'])(
    'a 1 MB JSON body on %s is 413 PAYLOAD_TOO_LARGE',
    async (path) => {
      const response = await client.post(path, {
        json: { email: uniqueEmail('big'), password: 'x'.repeat(1024 * 1024) },
        withCookie: false,
      });
      expectError(response, 413, 'PAYLOAD_TOO_LARGE');
    },
  );

  it('a 1 MB body sent as text/plain is refused with a 4xx', async () => {
    const response = await client.post('/auth/login', {
      body: 'x'.repeat(1024 * 1024),
      contentType: 'text/plain',
    });
    expectOneOfErrors(response, [
      { status: 400, code: 'VALIDATION_FAILED' },
      { status: 413, code: 'PAYLOAD_TOO_LARGE' },
    ]);
  });

  it('a 99 kB password (under the body limit) is 400 VALIDATION_FAILED, never hashed', async () => {
    const started = performance.now();
    const response = await client.post('/auth/login', {
      json: { email: canary.email, password: 'x'.repeat(99 * 1000) },
    });
    expectError(response, 400, 'VALIDATION_FAILED');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('a body with 5,000 unknown keys is 400 VALIDATION_FAILED', async () => {
    const keys = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]));
    const response = await client.post('/auth/register', {
      json: { email: uniqueEmail('keys'), password: DEFAULT_PASSWORD, ...keys },
    });
    expectError(response, 400, 'VALIDATION_FAILED');
  });
});

describe('IDOR: another user’s session ids on every session route', () => {
  let owner: SignedIn;
  let ownerPhone: SignedIn;
  let intruder: SignedIn;

  beforeEach(async () => {
    owner = await register(demo.baseUrl, { deviceName: 'Owner laptop' });
    ownerPhone = await login(demo.baseUrl, owner.email, owner.password, {
      deviceName: 'Owner phone',
    });
    intruder = await register(demo.baseUrl, { deviceName: 'Intruder laptop' });
  });

  afterEach(async () => {
    // Whatever the intruder did, both of the owner's sessions are alive and still rotate.
    for (const device of [owner, ownerPhone]) {
      expectStatus(await me(device.client, device.accessToken), 200);
    }
    expectStatus(await refreshWithBody(ownerPhone.client, ownerPhone.refreshToken), 200);
    const [row] = await query<{ live: number }>(
      'SELECT count(*)::int AS live FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [owner.user.id],
    );
    expect(row.live).toBe(2);
  });

  it.each<[string, (id: string) => string]>([
    ['as is', (id) => id],
    ['in upper case', (id) => id.toUpperCase()],
    ['with a trailing space', (id) => `${id} `],
    ['with braces', (id) => `{${id}}`],
  ])(
    'DELETE /auth/sessions/:id with the owner’s id %s is 404 SESSION_NOT_FOUND',
    async (_, shape) => {
      for (const id of [owner.session.id, ownerPhone.session.id]) {
        const response = await intruder.client.delete(
          `/auth/sessions/${encodeURIComponent(shape(id))}`,
          {
            token: intruder.accessToken,
          },
        );
        expectError(response, 404, 'SESSION_NOT_FOUND');
      }
    },
  );

  it('GET /auth/sessions lists only the caller’s own sessions', async () => {
    const response = await intruder.client.get('/auth/sessions', { token: intruder.accessToken });
    expectStatus(response, 200);
    expect(response.body.map((s: { id: string }) => s.id)).toEqual([intruder.session.id]);
    expect(JSON.stringify(response.body)).not.toContain(owner.session.id);
    expect(JSON.stringify(response.body)).not.toContain(ownerPhone.session.id);
  });

  it('DELETE /auth/sessions?scope=others and ?scope=all end only the caller’s sessions', async () => {
    const intruderPhone = await login(demo.baseUrl, intruder.email, intruder.password);
    expectStatus(
      await intruder.client.delete('/auth/sessions?scope=others', { token: intruder.accessToken }),
      204,
    );
    expectError(await me(intruderPhone.client, intruderPhone.accessToken), 401, 'SESSION_REVOKED');
    expectStatus(
      await intruder.client.delete('/auth/sessions?scope=all', { token: intruder.accessToken }),
      204,
    );
    expectError(await me(intruder.client, intruder.accessToken), 401, 'SESSION_REVOKED');
  });

  it('POST /auth/logout ends only the caller’s session, whatever session id the body names', async () => {
    const response = await intruder.client.post('/auth/logout', {
      token: intruder.accessToken,
      json: { sessionId: owner.session.id, id: owner.session.id },
    });
    expectStatus(response, 204);
    expectError(await me(intruder.client, intruder.accessToken), 401, 'SESSION_REVOKED');
  });

  it('POST /auth/password and DELETE /me act on the caller only', async () => {
    const ownerHash = () =>
      query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [
        owner.user.id,
      ]);
    const before = await ownerHash();
    const changed = await intruder.client.post('/auth/password', {
      token: intruder.accessToken,
      json: { currentPassword: intruder.password, newPassword: 'a brand new password' },
    });
    expectStatus(changed, 204);
    expectStatus(await intruder.client.delete('/me', { token: intruder.accessToken }), 204);
    expect(await ownerHash()).toEqual(before);
    expect(
      await query('SELECT id FROM users WHERE id = ANY($1)', [[owner.user.id, intruder.user.id]]),
    ).toEqual([{ id: owner.user.id }]);
  });
});

describe('refresh-token guessing', () => {
  it(`is rate limited per IP: ${REFRESH_LIMIT} guesses are 401 REFRESH_TOKEN_INVALID, the rest 429 RATE_LIMITED`, async () => {
    const guesser = new ApiClient(throttled.baseUrl);
    const statuses: string[] = [];
    for (let i = 0; i < REFRESH_LIMIT + 10; i++) {
      const response = await guesser.post('/auth/refresh', {
        json: { refreshToken: randomBytes(32).toString('base64url') },
        withCookie: false,
      });
      expectNoServerError(response);
      statuses.push(`${response.status} ${response.body?.code}`);
    }
    expect(statuses).toEqual([
      ...Array(REFRESH_LIMIT).fill('401 REFRESH_TOKEN_INVALID'),
      ...Array(10).fill('429 RATE_LIMITED'),
    ]);
    // Other routes of that instance are not throttled.
    expectStatus(await guesser.get('/health'), 200);
  });
});

describe('the refresh cookie', () => {
  function expectCookieFlags(response: ApiResponse, { secureFlag }: { secureFlag: boolean }) {
    const cookie = response.cookies[REFRESH_COOKIE];
    expect(cookie).toBeDefined();
    expect(cookie.value).toBe(response.body.refreshToken);
    expect(cookie.attributes).toMatchObject({
      httponly: true,
      samesite: 'Strict',
      path: '/auth',
      'max-age': expect.any(String),
    });
    expect(cookie.attributes.secure === true).toBe(secureFlag);
    // Nothing else is stored in a cookie, the access token least of all.
    expect(Object.keys(response.cookies)).toEqual([REFRESH_COOKIE]);
    expect(response.headers.getSetCookie().join(';')).not.toContain(response.body.accessToken);
    return cookie;
  }

  it('register, login and refresh set it HttpOnly, Secure, SameSite=Strict, Path=/auth, Max-Age = the absolute lifetime', async () => {
    const registered = await register(secure.baseUrl);
    const registeredCookie = expectCookieFlags(registered.response, { secureFlag: true });
    expect(registeredCookie.maxAge).toBeGreaterThan(ABSOLUTE_TTL - 5);
    expect(registeredCookie.maxAge).toBeLessThanOrEqual(ABSOLUTE_TTL);

    const signedIn = await login(secure.baseUrl, registered.email, registered.password);
    expectCookieFlags(signedIn.response, { secureFlag: true });

    const refreshed = await refreshWithBody(signedIn.client, signedIn.refreshToken);
    expectStatus(refreshed, 200);
    const refreshedCookie = expectCookieFlags(refreshed, { secureFlag: true });
    // Rotation never extends the session: Max-Age counts down to the same absolute end.
    const loginCookie = signedIn.response.cookies[REFRESH_COOKIE];
    expect(refreshedCookie.maxAge).toBeLessThanOrEqual(loginCookie.maxAge!);
    expect(refreshedCookie.maxAge).toBeGreaterThan(loginCookie.maxAge! - 5);
  });

  it('logout clears it with the same Path and flags', async () => {
    const device = await register(secure.baseUrl);
    const response = await device.client.post('/auth/logout', { token: device.accessToken });
    expectStatus(response, 204);
    const cleared = response.cookies[REFRESH_COOKIE];
    expect(cleared.cleared).toBe(true);
    expect(cleared.attributes).toMatchObject({
      httponly: true,
      secure: true,
      samesite: 'Strict',
      path: '/auth',
    });
  });

  it('without COOKIE_SECURE the other flags are the same (plain-http development only)', async () => {
    const device = await register(demo.baseUrl);
    expectCookieFlags(device.response, { secureFlag: false });
  });

  it('a cross-origin page gets no CORS grant to read a refresh answer', async () => {
    const preflight = await new ApiClient(secure.baseUrl).request('OPTIONS', '/auth/refresh', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expectNoServerError(preflight);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const device = await register(secure.baseUrl);
    const refreshed = await device.client.post('/auth/refresh', {
      headers: { origin: 'https://evil.example' },
    });
    expect(refreshed.headers.get('access-control-allow-origin')).toBeNull();
    expect(refreshed.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

/** The security property for odd keys: refused as invalid, or treated as if they were absent. */
function expectRefusedOrIgnored(response: ApiResponse, successStatus: number): void {
  if (response.status === successStatus) {
    expect(JSON.stringify(response.body)).not.toContain('polluted');
    expect(response.body).not.toHaveProperty('admin');
    expect(response.body.user).not.toHaveProperty('admin');
    return;
  }
  expectError(response, 400, 'VALIDATION_FAILED');
}
