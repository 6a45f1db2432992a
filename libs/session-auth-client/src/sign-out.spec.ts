import { jest } from '@jest/globals';
import { createSessionClient, type SessionClient } from './session-client.js';
import { API, APP_ROUTES, FakeAuthServer } from './test-fakes/fake-auth-server.js';
import { FakeStorage } from './test-fakes/fake-storage.js';
import { installTabFakes } from './test-fakes/fake-tabs.js';
import { settle } from './test-fakes/settle.js';

// Issue 19 L1: a sign-out that did not reach the server must not fail open. It is kept (storage)
// and sent again before the next restore() or sign-in, the state says it is pending, and the
// logout needs no access token (the server ends the session from the refresh cookie).

let server: FakeAuthServer;
let storage: FakeStorage;
let uninstall: () => void;
const clients: SessionClient[] = [];

/** A page load of the one browser (same cookie jar, same storage). */
function page(): SessionClient {
  const client = createSessionClient({ baseUrl: API, fetch: server.fetch, storage, ...APP_ROUTES });
  clients.push(client);
  return client;
}

async function signedInPage(): Promise<SessionClient> {
  const client = page();
  await client.signIn({ email: 'ada@example.com', password: 'correct horse' });
  return client;
}

const logouts = () => server.callsTo('/auth/logout');

beforeEach(() => {
  jest.useFakeTimers();
  uninstall = installTabFakes({ withLocks: true }).uninstall;
  server = new FakeAuthServer();
  storage = new FakeStorage();
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  uninstall();
  jest.useRealTimers();
});

it('online: signs out with reason LOGOUT and nothing stays pending', async () => {
  const client = await signedInPage();
  await client.signOut();
  expect(logouts()).toHaveLength(1);
  expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'LOGOUT' });
  expect(storage.items.size).toBe(0);
});

it('offline: signed out here, the state says the sign-out is pending, and storage keeps it', async () => {
  const client = await signedInPage();
  server.offline = true;
  await client.signOut();
  expect(client.state.get()).toEqual({
    status: 'signed-out',
    reason: 'LOGOUT',
    signOutPending: true,
  });
  expect([...storage.items.keys()]).toEqual([`nestjs-session-auth:sign-out:${API}`]);
});

it('the next restore() sends the pending sign-out (cookie alone) first, and is not signed in again', async () => {
  const client = await signedInPage();
  server.offline = true;
  await client.signOut();
  server.offline = false;
  client.close();

  const reloaded = page();
  const calls = server.calls.length;
  expect(await settle(reloaded.restore())).toEqual({ status: 'signed-out', reason: undefined });
  // The logout went first, without an access token; the refresh then found no cookie.
  expect(server.calls.slice(calls).map((c) => [c.path, c.authorization])).toEqual([
    ['/auth/logout', null],
    ['/auth/refresh', null],
  ]);
  expect(server.revoked).toBe(true);
  expect(storage.items.size).toBe(0);
});

it('restore() while the sign-out still cannot be sent: no refresh, signed out, pending, rejects', async () => {
  const client = await signedInPage();
  server.offline = true;
  await client.signOut();
  client.close();

  const reloaded = page();
  const refreshes = server.refreshes;
  await expect(reloaded.restore()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  expect(server.refreshes).toBe(refreshes);
  expect(reloaded.state.get()).toEqual({ status: 'signed-out', signOutPending: true });
});

it('a server error keeps it pending too; a later signIn sends it before signing in', async () => {
  const client = await signedInPage();
  server.logoutDown = true;
  await client.signOut();
  expect(client.state.get()).toMatchObject({ signOutPending: true });
  server.logoutDown = false;

  const calls = server.calls.length;
  await client.signIn({ email: 'ada@example.com', password: 'correct horse' });
  expect(server.calls.slice(calls).map((c) => c.path)).toEqual(['/auth/logout', '/auth/login']);
  expect(client.state.get()).toMatchObject({ status: 'signed-in' });
  expect(storage.items.size).toBe(0);
});

it('signOut with an expired access token refreshes nothing: the cookie ends the session', async () => {
  server.ttlSeconds = 8;
  const client = await signedInPage();
  server.refreshMode = 'network-error'; // the scheduled refreshes fail: the token expires
  await jest.advanceTimersByTimeAsync(20_000);
  const refreshes = server.refreshes;
  await client.signOut();
  expect(server.refreshes).toBe(refreshes);
  expect(server.revoked).toBe(true);
  expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'LOGOUT' });
});

it('a refused logout (no cookie left: nothing to end from here) is not kept pending', async () => {
  const client = await signedInPage();
  server.hasCookie = false;
  server.refuseAllAsExpired = true;
  await client.signOut();
  expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'LOGOUT' });
  expect(storage.items.size).toBe(0);
});

it('storage: null keeps the pending sign-out in the page only', async () => {
  const client = createSessionClient({
    baseUrl: API,
    fetch: server.fetch,
    storage: null,
    ...APP_ROUTES,
  });
  clients.push(client);
  await client.signIn({ email: 'ada@example.com', password: 'correct horse' });
  server.offline = true;
  await client.signOut();
  expect(client.state.get()).toMatchObject({ signOutPending: true });
  server.offline = false;
  await settle(client.restore());
  expect(server.revoked).toBe(true);
  expect(client.state.get()).toEqual({ status: 'signed-out', reason: undefined });
});

it('a sign-in with no sign-out pending announces no state before its answer', async () => {
  const client = page();
  await client.restore();
  const seen: string[] = [];
  client.state.subscribe((state) => seen.push(state.status));
  seen.length = 0; // subscribe calls back at once with the current state
  await client.signIn({ email: 'ada@example.com', password: 'correct horse' });
  expect(seen).toEqual(['signed-in']);
});
