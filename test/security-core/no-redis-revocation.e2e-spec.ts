import { login, me, register } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectError, expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { sleep } from '../support/timing.js';

// Security round 2, finding 13: several instances and no Redis. Each keeps session state in its
// own process; a revocation on one must reach the others through PostgreSQL (LISTEN/NOTIFY), so
// the revoked session is refused on every instance within 1 s, not when the local entry expires.

const ALLOWED_MS = 1000;

let a: DemoProcess;
let b: DemoProcess;

beforeAll(async () => {
  [a, b] = await startDemos(
    { name: 'no-redis-revocation-a', env: { REDIS_URL: undefined } },
    { name: 'no-redis-revocation-b', env: { REDIS_URL: undefined } },
  );
}, 60_000);

afterAll(async () => {
  await stopDemos(a, b);
});

/** Polls GET /me on `client` until it is refused; returns how long that took (or Infinity). */
async function msUntilRefused(client: ApiClient, token: string, since: number): Promise<number> {
  while (Date.now() - since < ALLOWED_MS * 3) {
    const answer = await me(client, token);
    if (answer.status === 401) {
      expectError(answer, 401, 'SESSION_REVOKED');
      return Date.now() - since;
    }
    await sleep(20);
  }
  return Infinity;
}

for (const [revokeOn, name] of [
  ['a', 'the instance that revoked it'],
  ['b', 'the other instance'],
] as const) {
  it(`a session terminated on instance ${revokeOn} is refused on both within 1 s (${name} too)`, async () => {
    expect(a.output()).toMatch(/in-process/);
    const owner = await register(a.baseUrl, { deviceName: 'owner' });
    const victim = await login(b.baseUrl, owner.email, owner.password, { deviceName: 'victim' });
    const onA = new ApiClient(a.baseUrl);
    const onB = new ApiClient(b.baseUrl);
    // Both instances now hold the victim's "active" state in process.
    expectStatus(await me(onA, victim.accessToken), 200);
    expectStatus(await me(onB, victim.accessToken), 200);

    const revoker = revokeOn === 'a' ? onA : onB;
    const terminated = await revoker.delete(`/auth/sessions/${victim.session.id}`, {
      token: owner.accessToken,
    });
    const at = Date.now();
    expectStatus(terminated, 204);

    const [onAMs, onBMs] = await Promise.all([
      msUntilRefused(onA, victim.accessToken, at),
      msUntilRefused(onB, victim.accessToken, at),
    ]);
    console.log(
      `no-redis-revocation: terminated on ${revokeOn}; refused on a after ${onAMs} ms, on b after ${onBMs} ms`,
    );
    expect(onAMs).toBeLessThanOrEqual(ALLOWED_MS);
    expect(onBMs).toBeLessThanOrEqual(ALLOWED_MS);
  });
}
