import { randomBytes } from 'node:crypto';
import { me, refreshCookieOf, refreshWithBody, refreshWithCookie } from '../support/auth.js';
import { logLines } from '../support/demo-logs.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { type ApiResponse, ApiClient, REFRESH_COOKIE } from '../support/http-client.js';
import { eventually } from '../support/timing.js';

// The demo's logs are structured pino JSON with a request id per request, and no credential ever
// reaches them: passwords, access tokens, refresh tokens (cookie and body), Authorization headers
// and Cookie headers are redacted. One full account cycle runs against an instance whose output
// is captured, and then the whole output is searched for every secret the cycle used.

let demo: DemoProcess;

beforeAll(async () => {
  // debug would log more than the default; redaction must hold at any level.
  demo = await startDemo({ name: 'operability-logs', env: { LOG_LEVEL: 'debug' } });
});

afterAll(() => demo?.stop());

it('a register / login / refresh / me / password change / logout cycle leaves no credential in the logs, and every request log line carries its request id', async () => {
  const email = `logs-${randomBytes(4).toString('hex')}@example.com`;
  const password = `first-${randomBytes(9).toString('base64url')}`;
  const newPassword = `second-${randomBytes(9).toString('base64url')}`;
  const secrets = new Set<string>([password, newPassword]);
  /** Every Cookie / Authorization header value the test sent. */
  const sentHeaders = new Set<string>();
  const requestIds: string[] = [];
  const client = new ApiClient(demo.baseUrl);

  /** Sends with an X-Request-Id, checks it is echoed, and remembers every secret involved. */
  async function send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { json?: unknown; body?: string; token?: string; withCookie?: boolean } = {},
    { logged = true } = {},
  ): Promise<ApiResponse> {
    const requestId = `it-${requestIds.length}-${randomBytes(6).toString('hex')}`;
    // A body the parser refuses never reaches the request logger (see the last test of this file).
    if (logged) requestIds.push(requestId);
    if (options.token) {
      secrets.add(options.token);
      sentHeaders.add(`Bearer ${options.token}`);
    }
    if ((options.withCookie ?? true) && client.refreshToken && path.startsWith('/auth')) {
      sentHeaders.add(`${REFRESH_COOKIE}=${encodeURIComponent(client.refreshToken)}`);
    }
    const response = await client.request(method, path, {
      ...options,
      headers: { 'x-request-id': requestId },
    });
    if (logged) {
      expect({ request: response.request, echoed: response.headers.get('x-request-id') }).toEqual({
        request: response.request,
        echoed: requestId,
      });
    }
    const body = response.body as Record<string, unknown> | undefined;
    for (const key of ['accessToken', 'refreshToken'] as const) {
      if (typeof body?.[key] === 'string') secrets.add(body[key] as string);
    }
    const cookie = response.cookies[REFRESH_COOKIE];
    if (cookie?.value) secrets.add(cookie.value);
    return response;
  }

  const registered = await send('POST', '/auth/register', {
    json: { email, password, name: 'Log Test', deviceName: 'laptop' },
  });
  expectStatus(registered, 201);

  expectError(
    await send('POST', '/auth/login', { json: { email, password: `${password}-wrong` } }),
    401,
    'INVALID_CREDENTIALS',
  );
  secrets.add(`${password}-wrong`);
  // A body that is not JSON and a body with an unknown field, both carrying the password.
  expectError(
    await send(
      'POST',
      '/auth/login',
      { body: `{"email":"${email}","password":"${password}"` },
      { logged: false },
    ),
    400,
    'VALIDATION_FAILED',
  );
  expectError(
    await send('POST', '/auth/login', { json: { email, password, extra: password } }),
    400,
    'VALIDATION_FAILED',
  );

  const loggedIn = await send('POST', '/auth/login', { json: { email, password } });
  expectStatus(loggedIn, 200);

  // Refresh the browser way (cookie) and the app way (body).
  const byCookie = await send('POST', '/auth/refresh');
  expectStatus(byCookie, 200);
  const byBody = await send('POST', '/auth/refresh', {
    json: { refreshToken: refreshCookieOf(byCookie) },
    withCookie: false,
  });
  expectStatus(byBody, 200);
  const accessToken: string = byBody.body.accessToken;
  client.refreshToken = refreshCookieOf(byBody);

  expectStatus(await send('GET', '/me', { token: accessToken }), 200);
  expectStatus(await send('GET', '/auth/sessions', { token: accessToken }), 200);
  expectError(await send('GET', '/me', { token: `${accessToken}x` }), 401, 'ACCESS_TOKEN_INVALID');

  const changed = await send('POST', '/auth/password', {
    json: { currentPassword: password, newPassword },
    token: accessToken,
  });
  expectStatus(changed, 204);
  // The registration's session ended with the password change: its token and refresh token fail.
  expectError(
    await send('GET', '/me', { token: registered.body.accessToken }),
    401,
    'SESSION_REVOKED',
  );

  expectStatus(await send('POST', '/auth/logout', { token: accessToken }), 204);
  expectError(await send('POST', '/auth/refresh'), 401, 'REFRESH_TOKEN_MISSING');

  // The helpers the other suites use, for good measure (they add their tokens as well).
  const relogin = await send('POST', '/auth/login', { json: { email, password: newPassword } });
  expectStatus(relogin, 200);
  const refreshed = await refreshWithBody(new ApiClient(demo.baseUrl), relogin.body.refreshToken);
  expectStatus(refreshed, 200);
  secrets.add(refreshed.body.accessToken).add(refreshed.body.refreshToken);
  expectStatus(await me(client, refreshed.body.accessToken), 200);
  sentHeaders.add(`Bearer ${refreshed.body.accessToken}`);
  const viaCookie = new ApiClient(demo.baseUrl);
  viaCookie.refreshToken = refreshed.body.refreshToken;
  sentHeaders.add(`${REFRESH_COOKIE}=${encodeURIComponent(refreshed.body.refreshToken)}`);
  const last = await refreshWithCookie(viaCookie);
  expectStatus(last, 200);
  secrets.add(last.body.accessToken).add(last.body.refreshToken);

  // Every request id reached the log, on a request line (pino-http's "request completed").
  await eventually(
    async () => {
      const logged = new Set(logLines(demo.output()).map((line) => line.req?.id));
      expect(requestIds.filter((id) => !logged.has(id))).toEqual([]);
    },
    { timeoutMs: 3000 },
  );

  const output = demo.output();
  const lines = logLines(output);
  const requestLines = lines.filter((line) => line.req !== undefined);
  expect(requestLines.length).toBeGreaterThanOrEqual(requestIds.length);
  // Every request line carries an id, and the ids we sent are the ones logged.
  expect(requestLines.filter((line) => typeof line.req?.id !== 'string')).toEqual([]);
  const ours = requestLines.filter((line) => requestIds.includes(line.req!.id!));
  expect(ours.map((line) => `${line.req!.method} ${line.req!.path}`)).toEqual(
    expect.arrayContaining([
      'POST /auth/register',
      'POST /auth/refresh',
      'GET /me',
      'POST /auth/logout',
    ]),
  );

  console.log(
    `logs: ${requestIds.length} requests with X-Request-Id, ${lines.length} JSON log lines ` +
      `(${output.length} chars), searched for ${secrets.size} secrets and ${sentHeaders.size} header values`,
  );
  const leaks = [...secrets, ...sentHeaders].filter((secret) => output.includes(secret));
  expect(leaks).toEqual([]);
  // No Authorization value in any form, and no refresh cookie value.
  expect(output).not.toMatch(/Bearer\s+[\w-]+\.[\w-]+/);
  expect(output).not.toMatch(new RegExp(`${REFRESH_COOKIE}=[^;\\s"]{8,}`));
  // Nothing that looks like a JWT at all.
  expect(output).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/);
});

it('a request the body parser refuses (malformed JSON, too large) still gets its X-Request-Id and a request log line', async () => {
  const client = new ApiClient(demo.baseUrl);
  const sent: { id: string; status: number; code: string; echoed: string | null }[] = [];
  for (const [body, status, code] of [
    ['{"email":"a@example.com","password":', 400, 'VALIDATION_FAILED'],
    [
      JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(150_000) }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ] as const) {
    const id = `parser-${status}-${randomBytes(6).toString('hex')}`;
    const response = await client.post('/auth/login', { body, headers: { 'x-request-id': id } });
    expectError(response, status, code);
    sent.push({ id, status, code, echoed: response.headers.get('x-request-id') });
  }
  expect(sent.map((s) => s.echoed)).toEqual(sent.map((s) => s.id));
  await eventually(
    async () => {
      const logged = logLines(demo.output()).map((line) => line.req?.id);
      expect(sent.map((s) => s.id).filter((id) => !logged.includes(id))).toEqual([]);
    },
    { timeoutMs: 2000 },
  );
});
