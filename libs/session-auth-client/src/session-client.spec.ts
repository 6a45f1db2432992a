import { jest } from '@jest/globals';
import { createSessionClient, type SessionClient } from './session-client.js';
import { SessionClientError } from './session-client.error.js';
import { API, APP_ROUTES, FakeAuthServer } from './test-fakes/fake-auth-server.js';
import { installTabFakes } from './test-fakes/fake-tabs.js';
import { settle } from './test-fakes/settle.js';
import type { SessionClientEvents } from './types.js';

// The client's state machine against a fake server, on fake timers: sign-in, proactive refresh,
// the fetch wrapper's one retry, one refresh for many 401s, and every way a refresh can fail.

let server: FakeAuthServer;
let client: SessionClient;
let uninstall: () => void;
let signedOut: SessionClientEvents['signedOut'][];

beforeEach(() => {
  jest.useFakeTimers();
  jest.spyOn(Math, 'random').mockReturnValue(0); // no jitter: refreshes fall due at known times
  uninstall = installTabFakes({ withLocks: true }).uninstall;
  server = new FakeAuthServer();
  client = createSessionClient({ baseUrl: API, fetch: server.fetch, ...APP_ROUTES });
  signedOut = [];
  client.on('signedOut', (event) => signedOut.push(event));
});

afterEach(() => {
  client.close();
  uninstall();
  jest.useRealTimers();
  jest.restoreAllMocks();
});

async function signIn(): Promise<void> {
  await client.signIn({ email: 'ada@example.com', password: 'correct horse' });
}

describe('signing in and restoring', () => {
  it('signIn makes the state signed-in with the user and session, and drops the refresh token', async () => {
    const answer = await client.signIn<{ user: { id: string } } & never>({
      email: 'ada@example.com',
      password: 'correct horse',
    });
    expect(client.state.get()).toEqual({
      status: 'signed-in',
      userId: server.userId,
      sessionId: server.sessionId,
    });
    expect(answer).not.toHaveProperty('refreshToken');
    expect(answer).toHaveProperty('user');
  });

  it('restore without a refresh cookie is signed out without a reason and no event', async () => {
    const states: string[] = [];
    client.state.subscribe((state) => states.push(state.status));
    expect(await client.restore()).toEqual({ status: 'signed-out', reason: undefined });
    expect(states).toEqual(['unknown', 'signed-out']);
    expect(signedOut).toEqual([]);
  });

  it('restore with a refresh cookie resumes the session', async () => {
    server.hasCookie = true;
    expect(await settle(client.restore())).toMatchObject({
      status: 'signed-in',
      sessionId: 'sess-1',
    });
  });

  it('restore while offline rejects with NETWORK_ERROR and leaves the page signed out', async () => {
    server.refreshMode = 'network-error';
    await expect(client.restore()).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(client.state.get().status).toBe('signed-out');
  });
});

describe('fetch', () => {
  it('sends the access token as a Bearer header and resolves relative URLs against baseUrl', async () => {
    await signIn();
    const response = await client.fetch('/me');
    expect(response.status).toBe(200);
    expect(server.callsTo('/me')[0].authorization).toMatch(/^Bearer h\./);
  });

  it('refreshes once on ACCESS_TOKEN_EXPIRED and retries with the new token', async () => {
    await signIn();
    server.refuseAllAsExpired = true;
    // The refresh issues a token; the retry with it is refused too, and must not loop.
    const response = await settle(client.fetch('/me'));
    expect(response.status).toBe(401);
    expect(server.callsTo('/me')).toHaveLength(2);
    expect(server.refreshes).toBe(1);
    const [first, retry] = server.callsTo('/me');
    expect(retry.authorization).not.toBe(first.authorization);
  });

  it('N concurrent calls refused as expired share one refresh, and each retries once', async () => {
    await signIn();
    server.refuseAllAsExpired = true;
    server.holdRefreshes();
    const calls = Array.from({ length: 5 }, () => client.fetch('/me'));
    await jest.advanceTimersByTimeAsync(0);
    server.refuseAllAsExpired = false;
    server.releaseRefreshes();
    const statuses = (await settle(Promise.all(calls))).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(server.refreshes).toBe(1);
    expect(server.callsTo('/me')).toHaveLength(10);
  });

  it('SESSION_REVOKED on a call signs the page out (reason REVOKED)', async () => {
    await signIn();
    server.revoked = true;
    expect((await client.fetch('/me')).status).toBe(401);
    expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'REVOKED' });
    expect(signedOut).toEqual([{ reason: 'REVOKED', sessionId: 'sess-1' }]);
  });

  it('signed out, it refuses at once with SIGNED_OUT and sends nothing', async () => {
    await expect(client.fetch('/me')).rejects.toMatchObject({ code: 'SIGNED_OUT' });
    expect(server.calls).toEqual([]);
  });
});

describe('proactive refresh', () => {
  it('refreshes before the token expires, so calls never meet an expired token', async () => {
    server.ttlSeconds = 8;
    await signIn();
    for (let second = 0; second < 40; second++) {
      await jest.advanceTimersByTimeAsync(1_000);
      expect((await settle(client.fetch('/me'))).status).toBe(200);
    }
    // One refresh per lifetime, due a quarter early (every 6 s), and no retries.
    expect(server.refreshes).toBe(6);
    expect(server.callsTo('/me')).toHaveLength(40);
  });
});

describe('refresh failures', () => {
  beforeEach(async () => {
    server.ttlSeconds = 8;
    await signIn();
  });

  it('REFRESH_TOKEN_REUSED signs out with reason REUSE_DETECTED (theft)', async () => {
    const thefts: SessionClientEvents['theftDetected'][] = [];
    client.on('theftDetected', (event) => thefts.push(event));
    server.refreshMode = 'REFRESH_TOKEN_REUSED';
    await jest.advanceTimersByTimeAsync(8_000);
    expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'REUSE_DETECTED' });
    expect(signedOut).toEqual([{ reason: 'REUSE_DETECTED', sessionId: 'sess-1' }]);
    expect(thefts).toEqual([{ sessionId: 'sess-1', current: true }]);
  });

  it('SESSION_REVOKED signs out with reason REVOKED', async () => {
    server.refreshMode = 'SESSION_REVOKED';
    await jest.advanceTimersByTimeAsync(8_000);
    expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'REVOKED' });
    expect(signedOut).toHaveLength(1);
  });

  it('a network error keeps the session and retries with backoff until the network is back', async () => {
    server.refreshMode = 'network-error';
    await jest.advanceTimersByTimeAsync(6_000); // due a quarter of the lifetime early
    expect(server.refreshes).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000); // retry after 1 s
    expect(server.refreshes).toBe(2);
    await jest.advanceTimersByTimeAsync(2_000); // then 2 s
    expect(server.refreshes).toBe(3);
    await jest.advanceTimersByTimeAsync(3_999); // then 4 s: not yet
    expect(server.refreshes).toBe(3);
    expect(client.state.get().status).toBe('signed-in');
    expect(signedOut).toEqual([]);

    server.refreshMode = 'ok';
    await jest.advanceTimersByTimeAsync(100);
    expect(server.refreshes).toBe(4);
    expect(client.state.get().status).toBe('signed-in');
    expect((await settle(client.fetch('/me'))).status).toBe(200);
  });

  it('while a refresh backs off (503), calls fail fast instead of sending a refresh each', async () => {
    server.refreshMode = 'unavailable';
    await jest.advanceTimersByTimeAsync(6_000); // the scheduled refresh meets the 503
    expect(server.refreshes).toBe(1);
    server.refuseAllAsExpired = true; // and every call now needs a refresh
    for (let call = 0; call < 10; call++) {
      await expect(settle(client.fetch('/me'))).rejects.toMatchObject({ status: 503 });
    }
    expect(server.refreshes).toBe(1);
    expect(client.state.get().status).toBe('signed-in');

    server.refreshMode = 'ok';
    server.refuseAllAsExpired = false;
    await jest.advanceTimersByTimeAsync(1_000); // the backoff step is over: one refresh
    expect(server.refreshes).toBe(2);
    expect((await settle(client.fetch('/me'))).status).toBe(200);
  });

  it('a call while offline fails with NETWORK_ERROR, not a sign-out', async () => {
    server.refreshMode = 'network-error';
    server.refuseAllAsExpired = true;
    const failure = await settle(client.fetch('/me').catch((error: unknown) => error));
    expect(failure).toBeInstanceOf(SessionClientError);
    expect(failure).toMatchObject({ code: 'NETWORK_ERROR', transient: true });
    expect(client.state.get().status).toBe('signed-in');
  });
});

describe('session calls', () => {
  beforeEach(signIn);

  it('sessions() marks this device by its session id', async () => {
    const sessions = await client.sessions();
    expect(sessions.map((s) => [s.id, s.current])).toEqual([
      ['sess-1', true],
      ['sess-2', false],
    ]);
  });

  it('signOutDevice, signOutOthers and signOutAll call the documented routes', async () => {
    await client.signOutDevice('sess-2');
    await client.signOutOthers();
    expect(client.state.get().status).toBe('signed-in');
    await client.signOutAll();
    expect(server.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([
      '/auth/sessions/sess-2',
      '/auth/sessions?scope=others',
      '/auth/sessions?scope=all',
    ]);
    expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'TERMINATED_ALL' });
  });

  it('a 429 carries its Retry-After seconds, standard or named (Retry-After-<throttler>)', async () => {
    for (const header of ['Retry-After', 'Retry-After-login']) {
      const limited = createSessionClient({
        ...APP_ROUTES,
        baseUrl: API,
        fetch: async () =>
          new Response(JSON.stringify({ statusCode: 429, code: 'RATE_LIMITED', message: 'slow' }), {
            status: 429,
            headers: { [header]: '42' },
          }),
      });
      await expect(limited.signIn({ email: 'a@example.com', password: 'x' })).rejects.toMatchObject(
        { status: 429, code: 'RATE_LIMITED', retryAfter: 42, transient: true },
      );
      limited.close();
    }
  });

  it('a refused call rejects with the server’s code', async () => {
    server.revoked = true;
    await expect(client.sessions()).rejects.toMatchObject({
      status: 401,
      code: 'SESSION_REVOKED',
    });
  });

  it('signOut posts the logout and signs out with reason LOGOUT', async () => {
    await client.signOut();
    expect(server.callsTo('/auth/logout')).toHaveLength(1);
    expect(client.state.get()).toEqual({ status: 'signed-out', reason: 'LOGOUT' });
  });

  it('signIn and signUp without the app’s route options reject, and send nothing', async () => {
    const bare = createSessionClient({ baseUrl: API, fetch: server.fetch });
    const calls = server.calls.length;
    await expect(bare.signIn({})).rejects.toThrow(/signInPath/);
    await expect(bare.signUp({})).rejects.toThrow(/signUpPath/);
    expect(server.calls.length).toBe(calls);
    bare.close();
  });

  it('signIn and signUp post the body as given to the app’s routes', async () => {
    const custom = createSessionClient({
      baseUrl: API,
      fetch: server.fetch,
      signInPath: '/auth/login',
      signUpPath: '/auth/register',
    });
    await custom.signUp({ username: 'ada', secret: 'x' });
    expect(server.calls.at(-1)).toMatchObject({ method: 'POST', path: '/auth/register' });
    custom.close();
  });
});
