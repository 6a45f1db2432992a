import { setTimeout as sleep } from 'node:timers/promises';
import { me, register } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { unconfirmedCount, victimLiveOnB } from './revocation-trial.js';

// Performance round 3: a loaded instance must not make every revocation wait its full load. With
// a Redis URL, each instance hears announcements and acknowledges them in a thread of its own; its
// main thread forgets the sessions before it next reads a local copy. Here B's event loop is held
// for 2 s (POST /bench/busy) while A terminates a session that B holds as live: A's 204 comes
// during the hold with B's ack (nothing waited out, nothing counted unconfirmed), and the first
// request B serves after the hold refuses the session.

const NAME = 'busy-instance';
const HOLD_MS = 2000;

describe('an instance whose event loop is held', () => {
  let a: DemoProcess;
  let b: DemoProcess;

  beforeAll(async () => {
    const instance = { name: NAME, env: { BENCH_ROUTES: '1' } };
    [a, b] = await startDemos(instance, instance);
  }, 60_000);

  afterAll(async () => {
    await stopDemos(a, b);
  });

  it('acknowledges from its revocation thread; its next request refuses the session', async () => {
    const owner = await register(a.baseUrl, { deviceName: 'owner' });
    const { victim, onB } = await victimLiveOnB(b, owner);
    const unconfirmedBefore = await unconfirmedCount(a, 'redis');

    const hold = new ApiClient(b.baseUrl)
      .post(`/bench/busy?ms=${HOLD_MS}`)
      .then((res) => ({ status: res.status, at: performance.now() }));
    await sleep(300); // B has taken the hold by now (checked below)
    const sentAt = performance.now();
    const deleted = await new ApiClient(a.baseUrl).delete(`/auth/sessions/${victim.session.id}`, {
      token: owner.accessToken,
    });
    const answeredAt = performance.now();
    const next = await me(onB, victim.accessToken);
    const held = await hold;

    expectStatus(deleted, 204);
    expect(held.status).toBe(201);
    // The hold began before the DELETE was sent and ended after A answered it: B's main thread
    // ran nothing else in between, so the ack did not come from it.
    expect(held.at - sentAt).toBeLessThan(HOLD_MS);
    expect(answeredAt).toBeLessThan(held.at);
    // B's ack arrived: A did not wait out the bounded wait.
    expect(await unconfirmedCount(a, 'redis')).toBe(unconfirmedBefore);
    expect(a.output()).not.toMatch(/answered unconfirmed/);
    expect(next.status).toBe(401);
    expect(next.body.code).toBe('SESSION_REVOKED');
  }, 30_000);
});
