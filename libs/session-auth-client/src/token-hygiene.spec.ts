import { jest } from '@jest/globals';
import { createSessionClient, type SessionClient } from './session-client.js';
import { API, APP_ROUTES, FakeAuthServer } from './test-fakes/fake-auth-server.js';
import { FakeBroadcastChannel, installTabFakes } from './test-fakes/fake-tabs.js';
import { settle } from './test-fakes/settle.js';
import { tabMessageOf } from './tab-message.js';

// Issue 19 L5: the access token goes only to the API's origin (and origins the app lists), the
// tabs' channel adopts only well-formed messages, and its name (and the lock's) is scoped by
// baseUrl, so two apps on one origin do not hand each other tokens.

let server: FakeAuthServer;
let uninstall: () => void;
let requested: string[];
const clients: SessionClient[] = [];

function client(options: Parameters<typeof createSessionClient>[0] = {}): SessionClient {
  const created = createSessionClient({
    baseUrl: API,
    fetch: server.fetch,
    ...APP_ROUTES,
    ...options,
  });
  clients.push(created);
  return created;
}

beforeEach(() => {
  jest.useFakeTimers();
  const fakes = installTabFakes({ withLocks: true });
  uninstall = fakes.uninstall;
  requested = [];
  const request = fakes.locks!.request.bind(fakes.locks!);
  fakes.locks!.request = (name, options, work) => {
    requested.push(name);
    return request(name, options, work);
  };
  server = new FakeAuthServer();
});

afterEach(() => {
  for (const created of clients.splice(0)) created.close();
  uninstall();
  jest.useRealTimers();
});

const signIn = (c: SessionClient) => c.signIn({ email: 'ada@example.com', password: 'x' });
const lastAuthorization = () => server.calls.at(-1)?.authorization;

describe('fetch', () => {
  it('sends the token to the API origin only; another origin gets the request without it', async () => {
    const page = client();
    await signIn(page);
    await page.fetch(`${API}/me`);
    expect(lastAuthorization()).toMatch(/^Bearer /);
    const foreign = await page.fetch('https://tracker.example/me');
    expect(lastAuthorization()).toBeNull();
    expect(foreign.status).toBe(401); // passed on as is: no refresh, no retry
    expect(server.refreshes).toBe(0);
    await page.fetch(new Request('https://api.test.evil.example/me'));
    expect(lastAuthorization()).toBeNull();
  });

  it('tokenOrigins adds origins that get the token', async () => {
    const page = client({ tokenOrigins: ['https://files.example/'] });
    await signIn(page);
    await page.fetch('https://files.example/me');
    expect(lastAuthorization()).toMatch(/^Bearer /);
    await page.fetch('https://other.example/me');
    expect(lastAuthorization()).toBeNull();
  });
});

describe('the tabs’ channel', () => {
  const channelName = `nestjs-session-auth:${API}`;

  it('adopts nothing malformed that arrives on it', async () => {
    const page = client();
    await page.restore();
    const intruder = new FakeBroadcastChannel(channelName);
    const access = { token: 'h.p.s', sessionId: 's', userId: 'u', receivedAt: Date.now() };
    for (const junk of [
      null,
      'access',
      { type: 'access' },
      { type: 'access', access: { ...access, lifetimeMs: 'forever' } },
      { type: 'access', access: { ...access, lifetimeMs: 60_000, token: 42 } },
      { type: 'access', access: { ...access, lifetimeMs: 60_000, token: 'not a jwt' } },
      { type: 'access', access: { ...access, lifetimeMs: 60_000, receivedAt: Date.now() + 3.6e6 } },
    ]) {
      intruder.postMessage(junk);
    }
    await jest.advanceTimersByTimeAsync(0);
    expect(page.state.get()).toEqual({ status: 'signed-out', reason: undefined });
  });

  it('ignores a signed-out message whose session id is not a string', async () => {
    const page = client();
    await signIn(page);
    new FakeBroadcastChannel(channelName).postMessage({ type: 'signed-out', sessionId: {} });
    await jest.advanceTimersByTimeAsync(0);
    expect(page.state.get().status).toBe('signed-in');
  });

  it('keeps only the fields it knows from a well-formed message', () => {
    const access = { token: 'h.p.s', sessionId: 's', userId: 'u', receivedAt: 1, lifetimeMs: 2 };
    expect(tabMessageOf({ type: 'access', access: { ...access, extra: 'x' } }, 0)).toEqual({
      type: 'access',
      access,
    });
  });

  it('is scoped by baseUrl, and so is the refresh lock: another API’s tabs are not told', async () => {
    const app = client();
    const otherApp = client({ baseUrl: 'https://other-api.test' });
    const sameApp = client();
    await signIn(app);
    await jest.advanceTimersByTimeAsync(0);
    expect(sameApp.state.get().status).toBe('signed-in');
    expect(otherApp.state.get().status).toBe('unknown');

    await settle(otherApp.restore());
    expect(requested).toEqual(['nestjs-session-auth:refresh:https://other-api.test']);
  });
});
