import { uniqueEmail } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError } from '../support/expect-http.js';
import { ApiClient, type ApiResponse } from '../support/http-client.js';
import { eventually } from '../support/timing.js';

// bcrypt runs one job at a time here (PASSWORD_CONCURRENCY=1) at cost 12, so a compare takes long
// enough for every request of a burst to arrive while the first one runs. The queue behind it is
// bounded: beyond PASSWORD_QUEUE_LIMIT a sign-in gets 503 SERVER_BUSY with Retry-After at once,
// and a queued sign-in whose client hung up is dropped without running its compare.

const QUEUE_LIMIT = 2;
const BURST = 6;

let bounded: DemoProcess;
let roomy: DemoProcess;

beforeAll(async () => {
  const env = { BCRYPT_ROUNDS: '12', PASSWORD_CONCURRENCY: '1' };
  [bounded, roomy] = await startDemos(
    { name: 'password-queue', env: { ...env, PASSWORD_QUEUE_LIMIT: String(QUEUE_LIMIT) } },
    { name: 'password-queue-abandoned', env: { ...env, PASSWORD_QUEUE_LIMIT: '50' } },
  );
}, 60_000);

afterAll(async () => {
  await stopDemos(bounded, roomy);
});

/** A sign-in for an unknown email: one compare against the dummy hash at the configured cost. */
function signIn(demo: DemoProcess, signal?: AbortSignal): Promise<Response> {
  return fetch(`${demo.baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: uniqueEmail('queue'), password: 'a guess' }),
    signal,
  });
}

/** The value of one sample of the instance's Prometheus metrics (0 when absent). */
async function metric(demo: DemoProcess, sample: string): Promise<number> {
  const text = (await new ApiClient(demo.baseUrl).get<string>('/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

const completed = 'session_auth_password_jobs_total{outcome="completed"}';
const abandoned = 'session_auth_password_jobs_total{outcome="abandoned"}';
const queued = 'session_auth_password_jobs_queued';

it(`a burst beyond the queue gets 503 SERVER_BUSY with Retry-After; the ${1 + QUEUE_LIMIT} admitted are served`, async () => {
  const client = new ApiClient(bounded.baseUrl);
  const responses: ApiResponse[] = await Promise.all(
    Array.from({ length: BURST }, () =>
      client.post('/auth/login', {
        json: { email: uniqueEmail('burst'), password: 'a guess' },
      }),
    ),
  );

  const served = responses.filter((r) => r.status === 401);
  const refused = responses.filter((r) => r.status !== 401);
  expect(served).toHaveLength(1 + QUEUE_LIMIT);
  for (const response of served) expectError(response, 401, 'INVALID_CREDENTIALS');
  expect(refused).toHaveLength(BURST - 1 - QUEUE_LIMIT);
  for (const response of refused) {
    expectError(response, 503, 'SERVER_BUSY');
    expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  }
}, 60_000);

it('a queued sign-in whose client hung up is dropped: its compare never runs', async () => {
  const before = await metric(roomy, completed);
  const waitForQueue = (length: number) =>
    eventually(async () => expect(await metric(roomy, queued)).toBe(length), {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
  // Two clients that stay: one holds the only slot, the other waits; then four that hang up.
  const staying = [signIn(roomy), signIn(roomy)];
  await waitForQueue(1);
  const hangUp = new AbortController();
  const gone = Array.from({ length: 4 }, () => signIn(roomy, hangUp.signal).catch(() => 'aborted'));
  await waitForQueue(5);

  hangUp.abort();

  expect(await Promise.all(gone)).toEqual(Array(4).fill('aborted'));
  await eventually(async () => expect(await metric(roomy, abandoned)).toBe(4), {
    timeoutMs: 5_000,
    intervalMs: 20,
  });
  expect((await Promise.all(staying)).map((r) => r.status)).toEqual([401, 401]);
  // First in, first out: a sign-in sent now runs after anything still queued, so once it answers,
  // every compare the hung-up clients could have cost has run. None did.
  expect((await signIn(roomy)).status).toBe(401);
  expect((await metric(roomy, completed)) - before).toBe(3);
}, 60_000);
