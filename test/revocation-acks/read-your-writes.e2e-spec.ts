import { login, register, type SignedIn } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { keepBusy, terminateOnAAskB, type TrialResult } from './revocation-trial.js';

// Performance round 2, "a 204 that means refused everywhere": once DELETE /auth/sessions/:id has
// answered 204 on instance A, the very next request on instance B with that session's token is
// refused, every time, while B is busy. With Redis, A waits for every present instance's ack on
// Redis pub/sub; without Redis, for every listening instance's ack through PostgreSQL NOTIFY.

const TRIALS = 30;

for (const mode of ['redis', 'no-redis'] as const) {
  describe(`with ${mode === 'redis' ? 'Redis' : 'PostgreSQL only (no Redis)'}`, () => {
    let a: DemoProcess;
    let b: DemoProcess;

    beforeAll(async () => {
      const env = mode === 'redis' ? {} : { REDIS_URL: undefined };
      [a, b] = await startDemos(
        { name: `read-your-writes-${mode}`, env },
        { name: `read-your-writes-${mode}`, env },
      );
    }, 60_000);

    afterAll(async () => {
      await stopDemos(a, b);
    });

    it(`refuses the session on B right after A's 204, in ${TRIALS} of ${TRIALS} trials`, async () => {
      const owner: SignedIn = await register(a.baseUrl, { deviceName: 'owner' });
      const busyDevice = await login(b.baseUrl, owner.email, owner.password, {
        deviceName: 'busy',
      });
      const stopLoad = keepBusy(b, busyDevice.accessToken);
      const results: TrialResult[] = [];
      try {
        for (let i = 0; i < TRIALS; i++) results.push(await terminateOnAAskB(a, b, owner));
      } finally {
        await stopLoad();
      }

      const deleteMs = results.map((r) => r.deleteMs).sort((x, y) => x - y);
      console.log(
        `read-your-writes (${mode}): DELETE on A p50 ${deleteMs[Math.floor(TRIALS / 2)].toFixed(1)} ms, ` +
          `max ${deleteMs[TRIALS - 1].toFixed(1)} ms; accepted on B after the 204: ` +
          `${results.reduce((sum, r) => sum + r.acceptedAfter204, 0)}`,
      );
      expect(results.map((r) => r.nextOnB)).toEqual(Array(TRIALS).fill(401));
      expect(results.map((r) => r.acceptedAfter204)).toEqual(Array(TRIALS).fill(0));
      // Nobody was missing: no revocation waited out the bounded wait.
      expect(a.output()).not.toMatch(/answered unconfirmed/);
    }, 120_000);
  });
}
