import { login, register } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { closeAllSessionSockets, connectSessionSocket } from '../support/sockets.js';
import { sleep } from '../support/timing.js';

// Security round 3, L2: several instances and no Redis (so no socket.io Redis adapter to relay
// "session ended"). The PostgreSQL revocation feed must end a revoked session's socket on the
// other instance at once. Before: it lived until the gateway's 30 s sweep (29.1 s measured) and
// meanwhile received SESSIONS_UPDATED, with the IP addresses of the user's devices.

const ALLOWED_MS = 1000;

let a: DemoProcess;
let b: DemoProcess;

beforeAll(async () => {
  const instance = { name: 'socket-disconnect', env: { REDIS_URL: undefined } };
  [a, b] = await startDemos(instance, instance);
}, 60_000);

afterAll(async () => {
  closeAllSessionSockets();
  await stopDemos(a, b);
});

it('a session terminated on A has its socket on B ended at once, and it hears no SESSIONS_UPDATED', async () => {
  const owner = await register(a.baseUrl, { deviceName: 'owner' });
  const victim = await login(b.baseUrl, owner.email, owner.password, { deviceName: 'victim' });
  const socket = await connectSessionSocket(b.baseUrl, victim.accessToken, 'victim on B');

  const deleted = await new ApiClient(a.baseUrl).delete(`/auth/sessions/${victim.session.id}`, {
    token: owner.accessToken,
  });
  const answeredAt = Date.now();
  expectStatus(deleted, 204);
  // A change on B that B pushes to the user's devices there: the ended session must not hear it.
  await login(b.baseUrl, owner.email, owner.password, { deviceName: 'another device' });

  const disconnected = await socket.waitForDisconnect(ALLOWED_MS * 3);
  console.log(
    `socket-disconnect: socket on B ended ${disconnected.at - answeredAt} ms after the 204`,
  );
  expect(disconnected.at - answeredAt).toBeLessThanOrEqual(ALLOWED_MS);
  expect(socket.eventsNamed('SESSION_TERMINATED').map((e) => e.payload.sessionId)).toEqual([
    victim.session.id,
  ]);
  await sleep(300);
  expect(socket.eventsNamed('SESSIONS_UPDATED').filter((e) => e.at >= answeredAt)).toEqual([]);
});
