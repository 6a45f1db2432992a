import { jest } from '@jest/globals';
import { TokenKeeper } from './token-keeper.js';
import { API, FakeAuthServer } from './test-fakes/fake-auth-server.js';
import { installTabFakes } from './test-fakes/fake-tabs.js';
import { settle } from './test-fakes/settle.js';
import type { IssuedSession } from './types.js';

// What the browser's `online` event does to a refresh that went out around a network loss.

let server: FakeAuthServer;
let keeper: TokenKeeper;
let uninstall: () => void;

beforeEach(() => {
  jest.useFakeTimers();
  uninstall = installTabFakes({ withLocks: true }).uninstall;
  server = new FakeAuthServer();
  keeper = new TokenKeeper(
    {
      transport: { baseUrl: API, fetch: server.fetch, credentials: 'include' },
      refreshPath: '/auth/refresh',
      lockName: 'lock',
      channelName: 'channel',
    },
    { onAccess: () => undefined, onEnded: () => undefined },
  );
  keeper.adopt(server.issue() as unknown as IssuedSession);
});

afterEach(() => {
  keeper.close();
  uninstall();
  jest.useRealTimers();
});

it('back online, a refresh request that hangs is sent again instead of waiting for its timeout', async () => {
  server.hangRefreshes(1); // the first request went out on a connection that died
  const refreshed = keeper.refresh(keeper.current!.token);
  await jest.advanceTimersByTimeAsync(0);
  expect(server.refreshes).toBe(1);

  keeper.networkBack();
  const access = await settle(refreshed);
  expect(server.refreshes).toBe(2);
  expect(keeper.current).toBe(access);
});

it('back online with a token that fell due meanwhile, it refreshes at once', async () => {
  server.refreshMode = 'network-error';
  await jest.advanceTimersByTimeAsync(50 * 60_000); // long past due; the retries backed off to 30 s
  const before = server.refreshes;
  server.refreshMode = 'ok';
  keeper.networkBack();
  await jest.advanceTimersByTimeAsync(100);
  expect(server.refreshes).toBe(before + 1);
  expect(Date.now()).toBeLessThan(keeper.current!.receivedAt + 1_000);
});
