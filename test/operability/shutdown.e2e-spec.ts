import { register, type SignedIn } from '../support/auth.js';
import { type DemoExit, type DemoProcess, startDemo } from '../support/demo-process.js';
import { logLines } from '../support/demo-logs.js';
import { type KeepAliveResult, KeepAliveClient } from '../support/keepalive-client.js';
import { closeAllSessionSockets, connectSessionSocket } from '../support/sockets.js';
import { eventually, sleep } from '../support/timing.js';

// Graceful shutdown: SIGTERM during steady keep-alive traffic. For SHUTDOWN_DRAIN_MS the instance
// keeps serving while /health/ready says 503 (draining: true) and every response carries
// `Connection: close`, so keep-alive clients let go of their connections; then it stops accepting,
// finishes what is in flight, closes its sockets and exits with 0. No request is reset: each one
// completes (2xx/4xx) or, once the port is closed, is refused on a new connection.
//
// One TCP-level subtlety: a client that opens a new connection at the very moment the listener
// closes has its handshake completed by the kernel (connect() succeeds) and then gets a reset
// (ECONNRESET) when the listening socket closes with that connection still in its accept queue
// (or accepted but not yet read). That is a refused new connection in all but the error code -
// the app never received the request - and no server can avoid it while clients keep connecting;
// it is why a load balancer stops sending on readiness 503. The test therefore counts such a reset
// as a refusal only when all of this holds: a new (not kept-alive) connection, no byte of
// response, reset after the drain had ended (the listener closes only then) and before the process
// exited, and the app's log has no line for its X-Request-Id. Any other reset fails the test.

const DRAIN_MS = 1500;
const TRAFFIC_CLIENTS = 3;
/** Time to exit after the drain: closing Nest, sockets, Redis and PostgreSQL connections. */
const CLOSE_WITHIN_MS = 5000;

let demo: DemoProcess;

beforeAll(async () => {
  demo = await startDemo({ name: 'shutdown', env: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) } });
});

afterAll(async () => {
  closeAllSessionSockets();
  await demo?.stop();
});

it('SIGTERM under keep-alive traffic: drains with readiness 503, resets no request, disconnects sockets, exits 0', async () => {
  const users: SignedIn[] = [];
  for (let i = 0; i < TRAFFIC_CLIENTS; i++) users.push(await register(demo.baseUrl));
  const socket = await connectSessionSocket(demo.baseUrl, users[0].accessToken, 'device page');

  const results: (KeepAliveResult & { client: string })[] = [];
  const clients: KeepAliveClient[] = [];
  let stopAll = false;
  const deadline = Date.now() + 30_000;
  /** Loops until the port is closed (a refused connection) or the process is gone. */
  const loop = async (
    label: string,
    next: (client: KeepAliveClient, i: number) => Promise<KeepAliveResult>,
    pauseMs: number,
  ) => {
    const client = new KeepAliveClient(demo.baseUrl);
    clients.push(client);
    for (let i = 0; !stopAll && Date.now() < deadline; i++) {
      const result = await next(client, i);
      results.push({ ...result, client: label });
      if (result.error?.code === 'ECONNREFUSED') return;
      if (result.error && demo.exit()) return;
      await sleep(pauseMs);
    }
  };
  const traffic = [
    ...users.map((user, u) =>
      loop(
        `client ${u}`,
        (client, i) =>
          i % 3 === 2
            ? client.request('GET', '/auth/sessions', { token: user.accessToken })
            : client.request('GET', '/me', { token: user.accessToken }),
        10,
      ),
    ),
    loop('readiness', (client) => client.request('GET', '/health/ready'), 50),
  ];

  // Steady traffic first (every client on a kept-alive connection), then SIGTERM mid-traffic.
  await eventually(
    async () =>
      expect(results.filter((r) => r.reusedSocket && r.status === 200).length).toBeGreaterThan(60),
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  const sigtermAt = Date.now();
  demo.signal('SIGTERM');
  let exit: DemoExit | undefined;
  try {
    let timer: NodeJS.Timeout | undefined;
    exit = await Promise.race([
      demo.exited,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), DRAIN_MS + CLOSE_WITHIN_MS + 3000);
      }),
    ]);
    clearTimeout(timer);
  } finally {
    stopAll = true;
    await Promise.all(traffic);
    clients.forEach((client) => client.close());
  }
  const disconnected = socket.disconnects[0];

  const after = (r: KeepAliveResult) => r.startedAt >= sigtermAt;
  const readiness = results.filter((r) => r.client === 'readiness');
  const drainingAnswers = readiness.filter((r) => r.status === 503 && r.body?.draining === true);
  const completed = results.filter((r) => r.status !== undefined && !r.error);
  const logged = new Set(logLines(demo.output()).map((line) => line.req?.id));
  const refused = results.filter((r) => r.error?.code === 'ECONNREFUSED');
  const resetAsListenerClosed = results.filter(
    (r) =>
      r.error?.code === 'ECONNRESET' &&
      !r.reusedSocket &&
      r.status === undefined &&
      r.finishedAt >= sigtermAt + DRAIN_MS &&
      exit !== undefined &&
      r.finishedAt <= exit.at &&
      !logged.has(r.requestId),
  );
  const failed = results.filter(
    (r) => r.error && r.error.code !== 'ECONNREFUSED' && !resetAsListenerClosed.includes(r),
  );
  const servedDuringDrain = completed.filter(
    (r) => after(r) && r.status! < 500 && r.client !== 'readiness' && r.status === 200,
  );
  console.log(
    [
      `shutdown: ${results.length} requests sent (${results.filter(after).length} after SIGTERM), ` +
        `${completed.length} completed, ${refused.length} refused after the port closed, ` +
        `${resetAsListenerClosed.length} new connections reset as the listener closed (never reached the app), ` +
        `${failed.length} failed otherwise`,
      `  statuses: ${JSON.stringify(countBy(completed, (r) => `${r.client === 'readiness' ? 'ready' : 'api'} ${r.status}`))}, ` +
        `${completed.filter((r) => r.reusedSocket).length} on reused keep-alive connections`,
      `  exit: ${exit ? `code ${exit.code} signal ${exit.signal} ${exit.at - sigtermAt} ms after SIGTERM` : 'none'}; ` +
        `socket disconnected ${disconnected ? `${disconnected.at - sigtermAt} ms after SIGTERM (${disconnected.reason})` : 'never'}`,
      ...failed.map(
        (r) =>
          `  FAILED ${r.client} ${r.method} ${r.path}: ${r.error?.code} ${r.error?.message}, sent ` +
          `${r.startedAt - sigtermAt} ms after SIGTERM on a ${r.reusedSocket ? 'reused' : 'new'} connection`,
      ),
      ...resetAsListenerClosed.map(
        (r) =>
          `  reset as the listener closed: ${r.client} ${r.method} ${r.path}, sent ${r.startedAt - sigtermAt} ms ` +
          `and reset ${r.finishedAt - sigtermAt} ms after SIGTERM`,
      ),
    ].join('\n'),
  );

  // Traffic really was kept-alive before the signal.
  expect(completed.filter((r) => !after(r) && r.reusedSocket).length).toBeGreaterThan(10);
  // The process ends by itself, with 0, after the drain and within a few seconds.
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(exit!.at - sigtermAt).toBeGreaterThanOrEqual(DRAIN_MS - 100);
  expect(exit!.at - sigtermAt).toBeLessThan(DRAIN_MS + CLOSE_WITHIN_MS);
  // Before the signal readiness said ready; during the drain it says 503 with draining: true.
  expect(
    readiness
      .filter((r) => r.finishedAt < sigtermAt)
      .every((r) => r.status === 200 && r.body?.draining === false),
  ).toBe(true);
  expect(drainingAnswers.length).toBeGreaterThan(0);
  expect(drainingAnswers.every((r) => r.finishedAt - sigtermAt <= DRAIN_MS + CLOSE_WITHIN_MS)).toBe(
    true,
  );
  // The instance kept serving during the drain, and told keep-alive clients to let go.
  expect(servedDuringDrain.length).toBeGreaterThan(0);
  const answeredLater = completed.filter((r) => r.startedAt >= sigtermAt + 100);
  expect(answeredLater.filter((r) => r.headers?.connection !== 'close').map(brief)).toEqual([]);
  // No request was reset: each completed with a 2xx/4xx or was refused as a new connection.
  expect(failed.map(brief)).toEqual([]);
  expect(completed.filter((r) => r.status! >= 500 && r.client !== 'readiness').map(brief)).toEqual(
    [],
  );
  expect(refused.every((r) => !r.reusedSocket)).toBe(true);
  // Every request the app answered during the drain shows up in its log under its X-Request-Id.
  expect(completed.filter((r) => !logged.has(r.requestId)).map(brief)).toEqual([]);
  // The /sessions socket was disconnected by the shutdown.
  expect(disconnected).toBeDefined();
  expect(disconnected.at).toBeGreaterThanOrEqual(sigtermAt);
}, 60_000);

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function brief(r: KeepAliveResult & { client?: string }) {
  return {
    client: r.client,
    request: `${r.method} ${r.path}`,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    reusedSocket: r.reusedSocket,
    status: r.status,
    connection: r.headers?.connection,
    error: r.error,
  };
}
