import { login, me, refreshWithBody, register, type SignedIn } from '../support/auth.js';
import { type DemoProcess, startDemo } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { type ApiResponse, ApiClient } from '../support/http-client.js';
import { startDatabaseProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/timing.js';

// PostgreSQL made unreachable for one instance: a TCP proxy the test controls sits between the demo
// and the run's database (the server itself is shared with other suites, so it is never touched).
// Routes that need PostgreSQL answer 503 DATABASE_UNAVAILABLE within seconds instead of hanging,
// /health says 503 with database down, and the app recovers by itself when the path is back.

/** The contract: fast failure. The pool gives up connecting after 2 s, a query after 5 s. */
const FAIL_FAST_MS = 6000;
/** A client-side ceiling, so a hanging request fails the test instead of the test timing out. */
const REQUEST_CEILING_MS = 15_000;

let proxy: TcpProxy;
let demo: DemoProcess;
let client: ApiClient;

beforeAll(async () => {
  let url: string;
  ({ proxy, url } = await startDatabaseProxy());
  demo = await startDemo({ name: 'postgres-down', env: { DATABASE_URL: url } });
  client = new ApiClient(demo.baseUrl);
});

afterAll(async () => {
  await demo?.stop();
  await proxy?.close();
});

interface Timed {
  label: string;
  ms: number;
  response?: ApiResponse;
  error?: string;
}

/** Runs a request with a ceiling and measures it; a hang or a network error is recorded, not thrown. */
async function timed(label: string, request: () => Promise<ApiResponse>): Promise<Timed> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const ceiling = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${REQUEST_CEILING_MS} ms`)),
      REQUEST_CEILING_MS,
    );
  });
  try {
    const response = await Promise.race([request(), ceiling]);
    return { label, ms: Math.round(performance.now() - started), response };
  } catch (error) {
    return { label, ms: Math.round(performance.now() - started), error: String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function summary(results: Timed[]) {
  return results.map(({ label, ms, response, error }) => ({
    label,
    ms,
    status: response?.status,
    code: response?.body?.code,
    error,
  }));
}

/** Signs in devices while the database is there: a used session (cached state) and unused ones. */
async function devices(): Promise<{ used: SignedIn; unused: SignedIn[] }> {
  const used = await register(demo.baseUrl, { deviceName: 'used' });
  expectStatus(await me(used.client, used.accessToken), 200);
  const unused = [
    await login(demo.baseUrl, used.email, used.password, { deviceName: 'unused 1' }),
    await login(demo.baseUrl, used.email, used.password, { deviceName: 'unused 2' }),
  ];
  return { used, unused };
}

/** Every route that needs PostgreSQL, at once (the pool is hit concurrently, as in real traffic). */
async function routesNeedingPostgres(used: SignedIn, unused: SignedIn[]): Promise<Timed[]> {
  return Promise.all([
    timed('POST /auth/login', () =>
      client.post('/auth/login', { json: { email: used.email, password: used.password } }),
    ),
    timed('POST /auth/register', () =>
      client.post('/auth/register', {
        json: { email: `pg-down-${Date.now()}@example.com`, password: used.password },
      }),
    ),
    timed('POST /auth/refresh', () => refreshWithBody(used.client, used.refreshToken)),
    timed('GET /auth/sessions', () => client.get('/auth/sessions', { token: used.accessToken })),
    timed('GET /me (cached session)', () => me(used.client, used.accessToken)),
    timed('GET /me (uncached session)', () => me(unused[0].client, unused[0].accessToken)),
    timed('DELETE /auth/sessions/:id', () =>
      client.delete(`/auth/sessions/${unused[1].session.id}`, { token: used.accessToken }),
    ),
  ]);
}

async function expectRecovered(used: SignedIn): Promise<number> {
  const started = Date.now();
  await eventually(
    async () =>
      expectStatus(
        await client.post('/auth/login', {
          json: { email: used.email, password: used.password },
        }),
        200,
      ),
    { timeoutMs: 10_000, intervalMs: 250 },
  );
  const recoveredMs = Date.now() - started;
  const health = await client.get('/health');
  expect({ status: health.status, body: health.body }).toMatchObject({
    status: 200,
    body: { database: { status: 'up' } },
  });
  expectStatus(await me(used.client, used.accessToken), 200);
  return recoveredMs;
}

it('connections cut and refused: 503 DATABASE_UNAVAILABLE within seconds, /health 503, recovery without a restart', async () => {
  const { used, unused } = await devices();
  expect(proxy.openConnections()).toBeGreaterThan(0);

  await proxy.cut();
  const results = await routesNeedingPostgres(used, unused);
  const health = await timed('GET /health', () => client.get('/health'));
  const ready = await timed('GET /health/ready', () => client.get('/health/ready'));
  const live = await timed('GET /health/live', () => client.get('/health/live'));
  console.log(`postgres-down (cut): ${JSON.stringify(summary([...results, health, ready, live]))}`);

  for (const result of results) {
    expect({ label: result.label, error: result.error }).toEqual({ label: result.label });
    expectError(result.response!, 503, 'DATABASE_UNAVAILABLE');
    expect({ label: result.label, ms: result.ms, fast: result.ms < FAIL_FAST_MS }).toMatchObject({
      fast: true,
    });
  }
  expect({ status: health.response?.status, body: health.response?.body }).toMatchObject({
    status: 503,
    body: { status: 'error', database: { status: 'down' }, redis: { status: 'up' } },
  });
  expect(health.ms).toBeLessThan(FAIL_FAST_MS);
  expect(ready.response?.status).toBe(503);
  expect({ status: live.response?.status, body: live.response?.body }).toEqual({
    status: 200,
    body: { status: 'ok' },
  });

  await proxy.restore();
  const recoveredMs = await expectRecovered(used);
  console.log(`postgres-down (cut): login worked again ${recoveredMs} ms after the path came back`);
  // The session whose termination failed during the outage is still live: nothing half-done.
  expectStatus(await me(unused[1].client, unused[1].accessToken), 200);
}, 60_000);

it('connections stalled (a black hole, nothing answers): 503 DATABASE_UNAVAILABLE within seconds, no hang, recovery after', async () => {
  const { used, unused } = await devices();

  proxy.stall();
  const results = await routesNeedingPostgres(used, unused);
  const health = await timed('GET /health', () => client.get('/health'));
  console.log(`postgres-down (stall): ${JSON.stringify(summary([...results, health]))}`);

  for (const result of results) {
    expect({ label: result.label, error: result.error }).toEqual({ label: result.label });
    expectError(result.response!, 503, 'DATABASE_UNAVAILABLE');
    expect({ label: result.label, ms: result.ms, fast: result.ms < FAIL_FAST_MS }).toMatchObject({
      fast: true,
    });
  }
  expect({ status: health.response?.status, body: health.response?.body }).toMatchObject({
    status: 503,
    body: { database: { status: 'down' } },
  });

  await proxy.restore();
  const recoveredMs = await expectRecovered(used);
  console.log(
    `postgres-down (stall): login worked again ${recoveredMs} ms after the path came back`,
  );
}, 60_000);
