import { randomBytes } from 'node:crypto';
import { DEFAULT_PASSWORD, register, uniqueEmail } from '../support/auth.js';
import { type DemoProcess, startDemo, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';

// Limits belong to routes, not to URL text: Express routes ignore case and a trailing slash, so
// every spelling that reaches a handler must count against, and be refused by, the same limit.
// Every 429 carries the standard Retry-After header (whole seconds).

const LIMIT = 3;

/** Every spelling of a path that Express routes to the same handler. */
function spellingsOf(path: string): string[] {
  const title = path.replace(/\/(\w)/g, (_, c: string) => `/${c.toUpperCase()}`);
  return [path, `${path}/`, path.toUpperCase(), `${title}/`, `${path.toUpperCase()}/`];
}

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({
    name: 'rate-limits',
    env: {
      RATE_LIMIT_LOGIN: String(LIMIT),
      RATE_LIMIT_REFRESH: String(LIMIT),
    },
  });
});

afterAll(async () => {
  await stopDemos(demo);
});

/** `LIMIT` attempts spread over the spellings, then one more attempt on every spelling. */
async function exhaust(
  path: string,
  send: (path: string) => Promise<ApiResponse>,
): Promise<{ allowed: ApiResponse[]; refused: ApiResponse[] }> {
  const spellings = spellingsOf(path);
  const allowed: ApiResponse[] = [];
  for (let i = 0; i < LIMIT; i++) allowed.push(await send(spellings[i % spellings.length]));
  const refused: ApiResponse[] = [];
  for (const spelling of spellings) refused.push(await send(spelling));
  return { allowed, refused };
}

function expectLimited(refused: ApiResponse[]): void {
  for (const response of refused) {
    expectError(response, 429, 'RATE_LIMITED');
    const retryAfter = response.headers.get('retry-after');
    expect({ request: response.request, retryAfter }).toEqual({
      request: response.request,
      retryAfter: expect.stringMatching(/^\d+$/),
    });
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  }
}

describe('one limit per route, whatever the spelling', () => {
  it('POST /auth/login: wrong passwords under any spelling share one limit, then every spelling is 429', async () => {
    const client = new ApiClient(demo.baseUrl);
    const email = uniqueEmail('limit-login');
    const { allowed, refused } = await exhaust('/auth/login', (path) =>
      client.post(path, { json: { email, password: 'wrong password' } }),
    );

    for (const response of allowed) expectError(response, 401, 'INVALID_CREDENTIALS');
    expectLimited(refused);
  });

  it('POST /auth/register: each spelling hashes a password, so all share the sign-in limit', async () => {
    const client = new ApiClient(demo.baseUrl);
    const email = uniqueEmail('limit-register');
    const { allowed, refused } = await exhaust('/auth/register', (path) =>
      client.post(path, { json: { email, password: DEFAULT_PASSWORD } }),
    );

    expectStatus(allowed[0], 201);
    for (const response of allowed.slice(1)) expectError(response, 409, 'EMAIL_TAKEN');
    expectLimited(refused);
  });

  it('POST /auth/password: guessing the current password with a stolen token is limited under any spelling', async () => {
    const victim = await register(demo.baseUrl);
    const { allowed, refused } = await exhaust('/auth/password', (path) =>
      victim.client.post(path, {
        token: victim.accessToken,
        json: { currentPassword: 'a guess', newPassword: 'attacker password' },
      }),
    );

    for (const response of allowed) expectError(response, 401, 'INVALID_CREDENTIALS');
    expectLimited(refused);
  });

  it('POST /auth/refresh (the library route): guessing tokens is limited under any spelling', async () => {
    const guesser = new ApiClient(demo.baseUrl);
    const { allowed, refused } = await exhaust('/auth/refresh', (path) =>
      guesser.post(path, {
        json: { refreshToken: randomBytes(32).toString('base64url') },
        withCookie: false,
      }),
    );

    for (const response of allowed) expectError(response, 401, 'REFRESH_TOKEN_INVALID');
    expectLimited(refused);
  });

  it('routes without a declared limit are never throttled', async () => {
    const client = new ApiClient(demo.baseUrl);
    for (let i = 0; i < LIMIT * 3; i++) expectStatus(await client.get('/health'), 200);
  });
});

describe('per-IP sign-in limit', () => {
  let perIp: DemoProcess;

  beforeAll(async () => {
    perIp = await startDemo({
      name: 'rate-limits-ip',
      env: { RATE_LIMIT_LOGIN_IP: String(LIMIT) },
    });
  });

  afterAll(async () => {
    await stopDemos(perIp);
  });

  it('counts attempts on every email and spelling together, and its 429 carries Retry-After', async () => {
    const client = new ApiClient(perIp.baseUrl);
    const { allowed, refused } = await exhaust('/auth/login', (path) =>
      client.post(path, { json: { email: uniqueEmail('stuffing'), password: 'guess' } }),
    );

    for (const response of allowed) expectError(response, 401, 'INVALID_CREDENTIALS');
    expectLimited(refused);
  });
});
