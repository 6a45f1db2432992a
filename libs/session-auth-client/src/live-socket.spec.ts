import { jest } from '@jest/globals';
import { createSessionClient, type SessionClient } from './session-client.js';
import { API, APP_ROUTES, FakeAuthServer } from './test-fakes/fake-auth-server.js';
import { type FakeSocket, fakeIo } from './test-fakes/fake-socket.js';
import { installTabFakes } from './test-fakes/fake-tabs.js';
import { settle } from './test-fakes/settle.js';
import type { ConnectionStatus, SessionClientEvents } from './types.js';

// The client's socket against a fake socket.io server: the contract of DESIGN.md "Socket
// contract" (SESSIONS_UPDATED once per change, items without `current`).

let server: FakeAuthServer;
let client: SessionClient;
let sockets: FakeSocket[];
let uninstall: () => void;
const seen: { [K in keyof SessionClientEvents]: SessionClientEvents[K][] } = {
  sessionNew: [],
  sessionsUpdated: [],
  signedOut: [],
  theftDetected: [],
  connection: [],
};

beforeEach(async () => {
  jest.useFakeTimers();
  uninstall = installTabFakes({ withLocks: true }).uninstall;
  server = new FakeAuthServer();
  server.ttlSeconds = 8;
  const fake = fakeIo();
  sockets = fake.sockets;
  client = createSessionClient({
    baseUrl: API,
    fetch: server.fetch,
    ...APP_ROUTES,
    socket: { io: fake.io },
  });
  for (const key of Object.keys(seen) as (keyof SessionClientEvents)[]) {
    seen[key].length = 0;
    client.on(key, (payload: unknown) => void (seen[key] as unknown[]).push(payload));
  }
  await client.signIn({ email: 'ada@example.com', password: 'correct horse' });
});

afterEach(() => {
  client.close();
  uninstall();
  jest.useRealTimers();
});

const socket = (): FakeSocket => sockets[sockets.length - 1];

it('opens the /sessions namespace once signed in and hands over the access token', async () => {
  expect(sockets).toHaveLength(1);
  expect(socket().url).toBe(`${API}/sessions`);
  const token = await socket().accept();
  expect(token).toMatch(/^h\./);
  expect(seen.connection).toEqual<ConnectionStatus[]>(['connecting', 'live']);
});

it('SESSIONS_UPDATED without `current`: the client marks its own session by id', async () => {
  await socket().accept();
  const other = server.view('sess-2');
  socket().push('SESSIONS_UPDATED', { sessions: [other, server.view('sess-1')] });
  const pushed = seen.sessionsUpdated.at(-1)!.sessions;
  expect(pushed.map((s) => [s.id, s.current])).toEqual([
    ['sess-2', false],
    ['sess-1', true],
  ]);
});

it('an old server that still sends `current` (true for its receiver) is overruled by the session id', async () => {
  await socket().accept();
  socket().push('SESSIONS_UPDATED', {
    sessions: [
      { ...server.view('sess-2'), current: true },
      { ...server.view('sess-1'), current: false },
    ],
  });
  expect(seen.sessionsUpdated.at(-1)!.sessions.map((s) => s.current)).toEqual([false, true]);
});

it('every (re)connect reloads the list over HTTP, since events may have been missed', async () => {
  await socket().accept();
  await settle(Promise.resolve());
  expect(server.callsTo('/auth/sessions')).toHaveLength(1);
  expect(seen.sessionsUpdated).toHaveLength(1);
  socket().drop();
  expect(seen.connection.at(-1)).toBe('reconnecting');
  await socket().accept();
  await jest.advanceTimersByTimeAsync(0);
  expect(server.callsTo('/auth/sessions')).toHaveLength(2);
  expect(seen.sessionsUpdated).toHaveLength(2);
  expect(seen.sessionsUpdated[1].sessions.find((s) => s.current)?.id).toBe('sess-1');
});

it('a reconnect after the token expired presents a fresh token (refreshed for the handshake)', async () => {
  const first = await socket().accept();
  // Offline past the token's expiry (8 s): the scheduled refreshes fail meanwhile.
  socket().drop();
  server.refreshMode = 'network-error';
  await jest.advanceTimersByTimeAsync(9_000);
  server.refreshMode = 'ok';
  const second = await settle(socket().accept());
  expect(second).not.toBe(first);
  expect(server.refreshes).toBeGreaterThanOrEqual(1);
  expect(client.state.get().status).toBe('signed-in');
});

it('refused at the handshake with an expired token: refreshes, then connects again', async () => {
  socket().refuse('ACCESS_TOKEN_EXPIRED');
  await settle(Promise.resolve());
  await jest.advanceTimersByTimeAsync(100);
  expect(server.refreshes).toBe(1);
  expect(socket().connectCalls).toBeGreaterThanOrEqual(1);
  expect(client.state.get().status).toBe('signed-in');
});

it('SESSION_TERMINATED for this session signs out with the server’s reason and closes the socket', async () => {
  await socket().accept();
  socket().push('SESSION_TERMINATED', { sessionId: 'sess-1', reason: 'TERMINATED' });
  expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'TERMINATED' });
  expect(seen.signedOut).toEqual([{ reason: 'TERMINATED', sessionId: 'sess-1' }]);
  expect(seen.connection.at(-1)).toBe('closed');
  expect(socket().connected).toBe(false);
});

it('SESSION_TERMINATED with LOGOUT came from another tab of this browser', async () => {
  await socket().accept();
  socket().push('SESSION_TERMINATED', { sessionId: 'sess-1', reason: 'LOGOUT' });
  expect(seen.signedOut).toEqual([{ reason: 'OTHER_TAB_LOGOUT', sessionId: 'sess-1' }]);
});

it('SESSION_REUSE_DETECTED: theftDetected for any session; for this one also a sign-out (theft)', async () => {
  await socket().accept();
  socket().push('SESSION_REUSE_DETECTED', { sessionId: 'sess-2' });
  expect(seen.theftDetected).toEqual([{ sessionId: 'sess-2', current: false }]);
  expect(client.state.get().status).toBe('signed-in');

  socket().push('SESSION_REUSE_DETECTED', { sessionId: 'sess-1' });
  expect(seen.theftDetected).toEqual([
    { sessionId: 'sess-2', current: false },
    { sessionId: 'sess-1', current: true },
  ]);
  expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'REUSE_DETECTED' });
  expect(seen.signedOut).toEqual([{ reason: 'REUSE_DETECTED', sessionId: 'sess-1' }]);
});

it('SESSION_NEW arrives marked as another device', async () => {
  await socket().accept();
  socket().push('SESSION_NEW', { session: server.view('sess-3') });
  expect(seen.sessionNew).toEqual([{ session: { ...server.view('sess-3'), current: false } }]);
});

it('the server drops the socket of a live session: a refresh confirms it and the socket reconnects', async () => {
  await socket().accept();
  const before = socket().connectCalls;
  socket().serverDisconnect();
  await settle(Promise.resolve());
  await jest.advanceTimersByTimeAsync(100);
  expect(server.refreshes).toBe(1);
  expect(socket().connectCalls).toBeGreaterThan(before);
  expect(client.state.get().status).toBe('signed-in');
});

it('signOut closes the socket before the logout, so its own SESSION_TERMINATED is not heard', async () => {
  await socket().accept();
  await client.signOut();
  expect(seen.signedOut).toEqual([{ reason: 'LOGOUT', sessionId: 'sess-1' }]);
  expect(socket().connected).toBe(false);
});

it('signOutAll: the socket’s TERMINATED_ALL and the answer end the session once, with one event', async () => {
  await socket().accept();
  const states: string[] = [];
  client.state.subscribe((state) => states.push(state.status));
  const done = client.signOutAll();
  socket().push('SESSION_TERMINATED', { sessionId: 'sess-1', reason: 'TERMINATED_ALL' });
  await done;
  expect(seen.signedOut).toEqual([{ reason: 'TERMINATED_ALL', sessionId: 'sess-1' }]);
  expect(states).toEqual(['signed-in', 'signed-out']);
});

it('signOutAll that fails (offline) keeps the session and its live socket', async () => {
  await socket().accept();
  server.offline = true;
  await expect(client.signOutAll()).rejects.toBeInstanceOf(TypeError);
  server.offline = false;
  expect(client.state.get().status).toBe('signed-in');
  expect(socket().connected).toBe(true);
  expect(seen.connection.at(-1)).toBe('live');
});
