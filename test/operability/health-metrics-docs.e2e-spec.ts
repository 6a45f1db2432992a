import { me, refreshWithBody, refreshWithCookie, register } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';

// What an operator sees: /health (PostgreSQL and Redis), liveness and readiness, Prometheus
// metrics at /metrics (only with METRICS=true), the OpenAPI document with error codes, and
// the headers every answer carries (helmet's, set once per request from a precomputed list).
// `defaults` runs with the demo's own defaults for what the test support otherwise turns on.

let demo: DemoProcess;
let defaults: DemoProcess;
let client: ApiClient;

beforeAll(async () => {
  [demo, defaults] = await startDemos(
    { name: 'operability-health' },
    {
      name: 'operability-defaults',
      env: { METRICS: undefined, REFRESH_TRANSPORT: undefined },
    },
  );
  client = new ApiClient(demo.baseUrl);
});

afterAll(() => stopDemos(demo, defaults));

describe('health', () => {
  it('/health reports PostgreSQL and Redis as up, with the cache backend', async () => {
    const response = await client.get('/health');
    expect({ status: response.status, body: response.body }).toEqual({
      status: 200,
      body: { status: 'ok', database: { status: 'up' }, redis: { status: 'up', backend: 'redis' } },
    });
  });

  it('/health/live answers 200 and /health/ready answers 200, not draining', async () => {
    const live = await client.get('/health/live');
    expect({ status: live.status, body: live.body }).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    const ready = await client.get('/health/ready');
    expect({ status: ready.status, body: ready.body }).toMatchObject({
      status: 200,
      body: { draining: false, database: { status: 'up' }, redis: { status: 'up' } },
    });
  });
});

describe('metrics', () => {
  /** `name{labels} value` samples of the Prometheus text format, summed over label sets. */
  async function scrape(): Promise<{
    text: string;
    value: (name: string, labels?: string) => number;
  }> {
    const response = await client.get('/metrics');
    expectStatus(response, 200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = String(response.body);
    const value = (name: string, labels = ''): number =>
      text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
        .filter((line) => line.includes(labels))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    return { text, value };
  }

  it('exposes the session_auth_* metrics, and they move after a login, a refresh and a guarded request', async () => {
    const before = await scrape();
    for (const name of [
      'session_auth_sessions_created_total',
      'session_auth_guard_duration_seconds',
      'session_auth_refresh_rotations_total',
    ]) {
      expect(before.text).toContain(`# TYPE ${name} `);
    }

    const user = await register(demo.baseUrl);
    const refreshed = await refreshWithBody(user.client, user.refreshToken);
    expectStatus(refreshed, 200);
    expectStatus(await me(user.client, refreshed.body.accessToken), 200);
    expectError(await me(user.client, 'not-a-token'), 401, 'ACCESS_TOKEN_INVALID');

    const after = await scrape();
    const moved = (name: string, labels?: string) =>
      after.value(name, labels) - before.value(name, labels);
    expect({
      sessionsCreated: moved('session_auth_sessions_created_total'),
      rotations: moved('session_auth_refresh_rotations_total'),
      guardAllowed: moved('session_auth_guard_duration_seconds_count', 'result="allowed"'),
      guardRefused: moved(
        'session_auth_guard_duration_seconds_count',
        'result="ACCESS_TOKEN_INVALID"',
      ),
    }).toEqual({ sessionsCreated: 1, rotations: 1, guardAllowed: 1, guardRefused: 1 });
    // The histogram has its buckets, and the sum grew by the time the guard took.
    expect(after.text).toMatch(
      /session_auth_guard_duration_seconds_bucket\{le="0\.001",result="allowed"\}/,
    );
    expect(moved('session_auth_guard_duration_seconds_sum', 'result="allowed"')).toBeGreaterThan(0);
  });

  it('an instance started without METRICS has no /metrics (404): metrics are off by default', async () => {
    const response = await new ApiClient(defaults.baseUrl).get('/metrics');
    expectError(response, 404, 'NOT_FOUND');
    // The rest of that instance works as usual.
    expectStatus(await new ApiClient(defaults.baseUrl).get('/health'), 200);
  });
});

describe('token responses (issue 19, L6)', () => {
  it('without REFRESH_TRANSPORT the refresh token travels only in the cookie, never in a body', async () => {
    const device = await register(defaults.baseUrl);
    const refreshed = await refreshWithCookie(device.client);
    expectStatus(refreshed, 200);

    expect({
      register: 'refreshToken' in device.response.body,
      registerCookie: Boolean(device.response.cookies.refresh_token?.value),
      refresh: 'refreshToken' in refreshed.body,
      refreshCookie: Boolean(refreshed.cookies.refresh_token?.value),
    }).toEqual({ register: false, registerCookie: true, refresh: false, refreshCookie: true });
  });

  it('register, login and refresh answer with Cache-Control: no-store', async () => {
    const device = await register(defaults.baseUrl);
    const login = await device.client.post('/auth/login', {
      json: { email: device.email, password: device.password },
    });
    const refreshed = await refreshWithCookie(device.client);

    expect({
      register: [device.response.status, device.response.headers.get('cache-control')],
      login: [login.status, login.headers.get('cache-control')],
      refresh: [refreshed.status, refreshed.headers.get('cache-control')],
    }).toEqual({
      register: [201, 'no-store'],
      login: [200, 'no-store'],
      refresh: [200, 'no-store'],
    });
  });
});

describe('OpenAPI', () => {
  it('/docs serves the Swagger UI', async () => {
    const response = await client.get('/docs');
    expectStatus(response, 200);
    expect(String(response.body)).toMatch(/swagger/i);
  });

  it('/docs-json documents /auth/refresh, /auth/sessions/{id} and /me with their error codes', async () => {
    const response = await client.get('/docs-json');
    expectStatus(response, 200);
    const doc = response.body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/auth/refresh', '/auth/sessions/{id}', '/me', '/auth/password']),
    );
    const describe = (path: string, method: string, status: string): string =>
      String(doc.paths[path]?.[method]?.responses?.[status]?.description ?? '');

    expect(describe('/auth/sessions/{id}', 'delete', '404')).toContain('SESSION_NOT_FOUND');
    expect(describe('/auth/sessions/{id}', 'delete', '401')).toContain('SESSION_REVOKED');
    for (const code of [
      'REFRESH_TOKEN_MISSING',
      'REFRESH_TOKEN_INVALID',
      'REFRESH_TOKEN_EXPIRED',
      'REFRESH_TOKEN_REUSED',
      'SESSION_REVOKED',
    ]) {
      expect(describe('/auth/refresh', 'post', '401')).toContain(code);
    }
    expect(describe('/auth/refresh', 'post', '429')).toContain('RATE_LIMITED');
    for (const code of ['ACCESS_TOKEN_MISSING', 'ACCESS_TOKEN_EXPIRED', 'SESSION_REVOKED']) {
      expect(describe('/me', 'get', '401')).toContain(code);
    }
    expect(describe('/me', 'delete', '401')).toContain('SESSION_NOT_FRESH');
    // The error responses point at the documented error shape.
    const schema = doc.paths['/auth/sessions/{id}'].delete.responses['404'].content[
      'application/json'
    ].schema.$ref as string;
    const shape = doc.components.schemas[schema.split('/').at(-1)!];
    expect(Object.keys(shape.properties).sort()).toEqual(['code', 'message', 'statusCode']);
  });
});

describe('headers and the device page', () => {
  it("an API answer carries helmet's headers, without X-Powered-By", async () => {
    const response = await fetch(`${demo.baseUrl}/health/live`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect({
      csp: csp.includes("default-src 'self'") && !csp.includes('upgrade-insecure-requests'),
      nosniff: response.headers.get('x-content-type-options'),
      frame: response.headers.get('x-frame-options'),
      hsts: response.headers.get('strict-transport-security') !== null,
      poweredBy: response.headers.get('x-powered-by'),
      requestId: response.headers.get('x-request-id') !== null,
    }).toEqual({
      csp: true,
      nosniff: 'nosniff',
      frame: 'SAMEORIGIN',
      hsts: true,
      poweredBy: null,
      requestId: true,
    });
  });

  it('serves the page at / (always revalidated) and its fingerprinted assets, and nothing else', async () => {
    const page = await fetch(`${demo.baseUrl}/`);
    const html = await page.text();
    const asset = /\/assets\/[\w.-]+\.js/.exec(html)?.[0];
    const script = await fetch(`${demo.baseUrl}${asset}`);
    await script.arrayBuffer();
    const unknown = await fetch(`${demo.baseUrl}/assets/none.js`);
    expect({
      page: [page.status, page.headers.get('cache-control')],
      script: [script.status, script.headers.get('cache-control')],
      unknown: [unknown.status, ((await unknown.json()) as { statusCode: number }).statusCode],
    }).toEqual({
      page: [200, 'no-cache'],
      script: [200, 'public, max-age=31536000, immutable'],
      unknown: [404, 404],
    });
  });
});
