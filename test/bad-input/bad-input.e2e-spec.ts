import { randomBytes } from 'node:crypto';
import { DEFAULT_PASSWORD, login, me, register, uniqueEmail } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectError, expectOneOfErrors, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { decodeJwt, nowSeconds, signHmacJwt, tamperJwt, unsignedJwt } from '../support/jwt.mjs';

// Hostile and clumsy input: each request gets its 4xx and stable code, never a 500, and the server
// keeps serving afterwards.

const LOGIN_LIMIT = 3;

let demo: DemoProcess;
let rateLimited: DemoProcess;
let client: ApiClient;

beforeAll(async () => {
  [demo, rateLimited] = await startDemos(
    { name: 'bad-input' },
    { name: 'bad-input-rate-limit', env: { RATE_LIMIT_LOGIN: String(LOGIN_LIMIT) } },
  );
  client = new ApiClient(demo.baseUrl);
});

afterAll(async () => {
  await stopDemos(demo, rateLimited);
});

afterEach(async () => {
  // Whatever the test sent, the server is still up and still doing real work.
  if (!demo) return;
  expectStatus(await client.get('/health'), 200);
});

function registerBody(overrides: Record<string, unknown> = {}) {
  return { email: uniqueEmail('bad-input'), password: DEFAULT_PASSWORD, ...overrides };
}

describe('request bodies', () => {
  it.each([
    ['malformed JSON', '{"email": "a@example.com", "password": '],
    ['a JSON array', '[]'],
    ['an array of objects', JSON.stringify([registerBody()])],
    ['a JSON string', '"hello"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
  ])('%s on /auth/register is 400 VALIDATION_FAILED', async (_, body) => {
    expectError(await client.post('/auth/register', { body }), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['malformed JSON', '{"email": '],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"a@example.com"'],
  ])('%s on /auth/login is 400 VALIDATION_FAILED', async (_, body) => {
    expectError(await client.post('/auth/login', { body }), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['email', { email: 123 }],
    ['email', { email: { $ne: null } }],
    ['email', { email: 'not-an-email' }],
    ['password', { password: 123 }],
    ['password', { password: ['a', 'b'] }],
    ['name', { name: 42 }],
    ['deviceName', { deviceName: { nested: true } }],
  ])(
    'a wrong type or format for %s is 400 VALIDATION_FAILED naming the field',
    async (field, overrides) => {
      const response = await client.post('/auth/register', { json: registerBody(overrides) });

      expectError(response, 400, 'VALIDATION_FAILED');
      expect(response.body.message).toContain(field);
    },
  );

  it.each([
    ['an empty object', {}],
    ['no password', { email: uniqueEmail('bad-input') }],
    ['no email', { password: DEFAULT_PASSWORD }],
  ])('%s on /auth/register is 400 VALIDATION_FAILED', async (_, json) => {
    expectError(await client.post('/auth/register', { json }), 400, 'VALIDATION_FAILED');
  });

  it('missing fields on /auth/login are 400 VALIDATION_FAILED', async () => {
    expectError(await client.post('/auth/login', { json: {} }), 400, 'VALIDATION_FAILED');
  });

  it('a 1 MB body is 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify(registerBody({ name: 'x'.repeat(1024 * 1024) }));

    expectError(await client.post('/auth/register', { body }), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('passwords', () => {
  it.each([
    ['73 ASCII characters', 'a'.repeat(73)],
    ['40 two-byte characters (80 bytes)', 'é'.repeat(40)],
  ])('a password over 72 bytes (%s) is refused, not truncated', async (_, password) => {
    const response = await client.post('/auth/register', { json: registerBody({ password }) });

    expectError(response, 400, 'VALIDATION_FAILED');
    expect(response.body.message).toMatch(/password/i);
  });

  it.each([
    ['72 ASCII characters', 'a'.repeat(72)],
    ['36 two-byte characters (72 bytes)', 'é'.repeat(36)],
  ])('a password of exactly 72 bytes (%s) is accepted', async (_, password) => {
    const device = await register(demo.baseUrl, { password });
    expectStatus(await me(device.client, device.accessToken), 200);
  });
});

describe('accounts', () => {
  it('registering an email twice is 409 EMAIL_TAKEN, whatever its case', async () => {
    const email = uniqueEmail('taken');
    await register(demo.baseUrl, { email });

    const again = await client.post('/auth/register', { json: registerBody({ email }) });
    const upper = await client.post('/auth/register', {
      json: registerBody({ email: email.toUpperCase() }),
    });

    expectError(again, 409, 'EMAIL_TAKEN');
    expectError(upper, 409, 'EMAIL_TAKEN');
  });

  it('a wrong password is 401 INVALID_CREDENTIALS', async () => {
    const device = await register(demo.baseUrl);

    const response = await client.post('/auth/login', {
      json: { email: device.email, password: 'not the password' },
    });

    expectError(response, 401, 'INVALID_CREDENTIALS');
    expect(response.cookies.refresh_token).toBeUndefined();
  });

  it('an unknown email is 401 INVALID_CREDENTIALS, like a wrong password', async () => {
    const response = await client.post('/auth/login', {
      json: { email: uniqueEmail('nobody'), password: DEFAULT_PASSWORD },
    });

    expectError(response, 401, 'INVALID_CREDENTIALS');
  });

  it(`the login after ${LOGIN_LIMIT} in a minute for one email is 429 RATE_LIMITED`, async () => {
    const device = await register(rateLimited.baseUrl);
    for (let i = 0; i < LOGIN_LIMIT; i++)
      await login(rateLimited.baseUrl, device.email, device.password);

    const response = await new ApiClient(rateLimited.baseUrl).post('/auth/login', {
      json: { email: device.email, password: device.password },
    });

    expectError(response, 429, 'RATE_LIMITED');
    // The limit is per email: another account from the same address still signs in.
    const other = await register(rateLimited.baseUrl);
    await login(rateLimited.baseUrl, other.email, other.password);
  });
});

describe('session scope', () => {
  it('an unknown scope is 400 VALIDATION_FAILED and ends nothing', async () => {
    const device = await register(demo.baseUrl);

    const response = await device.client.delete('/auth/sessions?scope=everyone', {
      token: device.accessToken,
    });

    expectError(response, 400, 'VALIDATION_FAILED');
    expectStatus(await me(device.client, device.accessToken), 200);
  });
});

describe('access tokens', () => {
  let device: Awaited<ReturnType<typeof register>>;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    device = await register(demo.baseUrl);
    claims = decodeJwt(device.accessToken).payload;
  });

  it('a token built by hand with the real secret is accepted (the forgeries below are fair)', async () => {
    const token = signHmacJwt(
      claims,
      testEnv().jwtSecret,
      'HS256',
      decodeJwt(device.accessToken).header,
    );
    expectStatus(await me(device.client, token), 200);
  });

  it.each<[string, () => string]>([
    ['garbage', () => 'garbage'],
    ['three garbage segments', () => 'a.b.c'],
    ['alg "none"', () => unsignedJwt(claims)],
    [
      'a tampered payload',
      () => tamperJwt(device.accessToken, (p) => ({ ...p, sub: 'someone-else' })),
    ],
    [
      'a tampered expiry',
      () => tamperJwt(device.accessToken, (p) => ({ ...p, exp: Number(p.exp) + 3600 })),
    ],
    ['another secret', () => signHmacJwt(claims, randomBytes(48).toString('base64url'))],
    [
      'the right secret but HS512 (algorithm not allowed)',
      () => signHmacJwt(claims, testEnv().jwtSecret, 'HS512'),
    ],
  ])('%s is 401 ACCESS_TOKEN_INVALID', async (_, token) => {
    expectError(await me(device.client, token()), 401, 'ACCESS_TOKEN_INVALID');
  });

  it('an expired token (validly signed) is 401 ACCESS_TOKEN_EXPIRED', async () => {
    const now = nowSeconds();
    const token = signHmacJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, testEnv().jwtSecret);

    expectError(await me(device.client, token), 401, 'ACCESS_TOKEN_EXPIRED');
  });

  it('no Authorization header is 401 ACCESS_TOKEN_MISSING', async () => {
    expectError(await client.get('/me'), 401, 'ACCESS_TOKEN_MISSING');
  });
});

describe('refresh tokens', () => {
  it('no cookie and no body is 401 REFRESH_TOKEN_MISSING', async () => {
    expectError(
      await new ApiClient(demo.baseUrl).post('/auth/refresh'),
      401,
      'REFRESH_TOKEN_MISSING',
    );
  });

  it('a random token in the body is 401 REFRESH_TOKEN_INVALID', async () => {
    const response = await client.post('/auth/refresh', {
      json: { refreshToken: randomBytes(32).toString('base64url') },
      withCookie: false,
    });
    expectError(response, 401, 'REFRESH_TOKEN_INVALID');
  });

  it('a random token in the cookie is 401 REFRESH_TOKEN_INVALID', async () => {
    const stranger = new ApiClient(demo.baseUrl);
    stranger.refreshToken = randomBytes(32).toString('base64url');
    expectError(await stranger.post('/auth/refresh'), 401, 'REFRESH_TOKEN_INVALID');
  });

  it('a refresh token of the wrong type in the body is refused with a 4xx', async () => {
    const response = await client.post('/auth/refresh', {
      json: { refreshToken: 42 },
      withCookie: false,
    });

    expectOneOfErrors(response, [
      { status: 400, code: 'VALIDATION_FAILED' },
      { status: 401, code: 'REFRESH_TOKEN_INVALID' },
      { status: 401, code: 'REFRESH_TOKEN_MISSING' },
    ]);
  });
});
