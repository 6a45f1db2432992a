import { jest } from '@jest/globals';
import { createSessionClient, type SessionClient } from './session-client.js';
import { API, APP_ROUTES, FakeAuthServer } from './test-fakes/fake-auth-server.js';
import { type FakeLockManager, installTabFakes } from './test-fakes/fake-tabs.js';
import { settle } from './test-fakes/settle.js';
import type { SessionState } from './types.js';

// Tabs of one browser: one cookie, one session. Three clients share the fake BroadcastChannel and
// (in the first block) the fake Web Locks, as tabs share the browser's.

let server: FakeAuthServer;
let tabs: SessionClient[];
let fakes: { locks?: FakeLockManager; uninstall(): void };

function openTabs(n: number): SessionClient[] {
  tabs = Array.from({ length: n }, () =>
    createSessionClient({ baseUrl: API, fetch: server.fetch, ...APP_ROUTES }),
  );
  return tabs;
}

async function signInFirst(): Promise<void> {
  await tabs[0].signIn({ email: 'ada@example.com', password: 'correct horse' });
  await jest.advanceTimersByTimeAsync(0); // the token reaches the other tabs
}

const signedInEverywhere = (): void =>
  expect(tabs.map((t) => t.state.get().status)).toEqual(tabs.map(() => 'signed-in'));

beforeEach(() => {
  jest.useFakeTimers();
  server = new FakeAuthServer();
  server.ttlSeconds = 8;
});

afterEach(() => {
  for (const tab of tabs) tab.close();
  fakes.uninstall();
  jest.useRealTimers();
});

describe('with Web Locks', () => {
  beforeEach(() => {
    fakes = installTabFakes({ withLocks: true });
  });

  it('a sign-in in one tab signs the others in (the token comes over the channel)', async () => {
    openTabs(3);
    await signInFirst();
    signedInEverywhere();
    expect(server.refreshes).toBe(0);
  });

  it('three tabs over ten lifetimes refresh about once per lifetime together, never one each', async () => {
    openTabs(3);
    await signInFirst();
    for (let second = 0; second < 80; second++) {
      await jest.advanceTimersByTimeAsync(1_000);
      const statuses = await settle(
        Promise.all(tabs.map((t) => t.fetch('/me').then((r) => r.status))),
      );
      expect(statuses).toEqual([200, 200, 200]);
    }
    signedInEverywhere();
    // 80 s / 6 s between refreshes: 13; one each would be 39.
    expect(server.refreshes).toBeGreaterThanOrEqual(12);
    expect(server.refreshes).toBeLessThanOrEqual(15);
  });

  it('tabs whose refreshes fall due together take turns: the lock holder refreshes, the rest take its token', async () => {
    openTabs(3);
    await signInFirst();
    // Everyone wants a refresh at the same moment (e.g. the machine woke up).
    server.refuseAllAsExpired = true;
    const calls = tabs.map((t) => t.fetch('/me'));
    await jest.advanceTimersByTimeAsync(0);
    server.refuseAllAsExpired = false;
    expect((await settle(Promise.all(calls))).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(server.refreshes).toBe(1);
    expect(fakes.locks!.granted).toBe(3);
  });

  it('a token handed over by another tab ends this tab’s refresh backoff', async () => {
    openTabs(2);
    await signInFirst();
    server.refuseAllAsExpired = true; // every call needs a refresh from here on
    server.refreshMode = 'unavailable';
    await expect(settle(tabs[1].fetch('/me'))).rejects.toMatchObject({ status: 503 });
    // The server is back; the first tab refreshes and hands its token over.
    server.refreshMode = 'ok';
    await settle(tabs[0].fetch('/me'));
    const refreshes = server.refreshes;
    // Within the second tab's backoff step, its next refused call may refresh again.
    expect((await settle(tabs[1].fetch('/me'))).status).toBe(401);
    expect(server.refreshes).toBe(refreshes + 1);
  });

  it('signing out in one tab signs the others out (reason OTHER_TAB_LOGOUT)', async () => {
    openTabs(2);
    await signInFirst();
    const states: SessionState[] = [];
    tabs[1].state.subscribe((state) => states.push(state));
    await tabs[0].signOut();
    await jest.advanceTimersByTimeAsync(0);
    expect(tabs[1].state.get()).toEqual({ status: 'signed-out', reason: 'OTHER_TAB_LOGOUT' });
    expect(states.map((s) => s.status)).toEqual(['signed-in', 'signed-out']);
  });
});

describe('without Web Locks (the documented fallback)', () => {
  beforeEach(() => {
    fakes = installTabFakes({ withLocks: false });
  });

  it('tabs still share refreshes through the channel and the jittered schedule', async () => {
    const random = jest.spyOn(Math, 'random');
    openTabs(3);
    await signInFirst();
    for (let second = 0; second < 80; second++) {
      random.mockReturnValue((second % 7) / 7);
      await jest.advanceTimersByTimeAsync(1_000);
      const statuses = await settle(
        Promise.all(tabs.map((t) => t.fetch('/me').then((r) => r.status))),
      );
      expect(statuses).toEqual([200, 200, 200]);
    }
    signedInEverywhere();
    expect(server.refreshes).toBeLessThan(3 * 13);
    random.mockRestore();
  });
});
