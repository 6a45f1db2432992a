import { Redis } from 'ioredis';
import { register, type SignedIn } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { eventually } from '../support/timing.js';
import { terminateOnAAskB, type TrialResult, unconfirmedCount } from './revocation-trial.js';

// A revoking request waits for the other instances' acks at most revocationAckTimeoutMs (250 ms by
// default). An instance that cannot answer (frozen, killed, or a presence entry left behind) costs
// each revocation at most that wait, which is logged and counted; the answer still comes, and the
// instances that did answer refuse the session at once.

const BOUND_MS = 250;
/** Room for a loaded machine on top of the bound: the DELETE itself, HTTP, scheduling. */
const SLACK_MS = 750;
const NAME = 'dead-instance';

/**
 * B refused the session right after the 204, which came after the whole bounded wait and not much
 * later; A logged the instances that did not confirm (`unconfirmed`) and counted it once.
 */
async function expectWaitedOut(
  a: DemoProcess,
  trial: TrialResult,
  transport: 'redis' | 'postgres',
  unconfirmed: string,
): Promise<void> {
  expect(trial.nextOnB).toBe(401);
  expect(trial.acceptedAfter204).toBe(0);
  expect(trial.deleteMs).toBeGreaterThanOrEqual(BOUND_MS - 10);
  expect(trial.deleteMs).toBeLessThan(BOUND_MS + SLACK_MS);
  // The log line travels through the process's stdout pipe: it may trail the 204 a little.
  await eventually(
    async () =>
      expect(a.output()).toContain(
        `answered unconfirmed via ${transport}: ${unconfirmed} did not confirm within ${BOUND_MS} ms`,
      ),
    { timeoutMs: 2000, intervalMs: 50 },
  );
  expect(await unconfirmedCount(a, transport)).toBe(1);
}

describe('with Redis', () => {
  let a: DemoProcess;
  let b: DemoProcess;
  let c: DemoProcess;
  let owner: SignedIn;
  let redis: Redis;
  const presenceKey = () => `${testEnv().redisPrefix}${NAME}:revocation:instances`;

  beforeAll(async () => {
    [a, b, c] = await startDemos({ name: NAME }, { name: NAME }, { name: NAME });
    redis = new Redis(testEnv().redisUrl);
    owner = await register(a.baseUrl, { deviceName: 'owner' });
  }, 60_000);

  afterAll(async () => {
    await redis?.quit();
    await stopDemos(a, b, c);
  });

  it('waits for every present instance: three of them, nobody missing', async () => {
    expect(await redis.zcard(presenceKey())).toBe(3);
    const trial = await terminateOnAAskB(a, b, owner);

    expect(trial.nextOnB).toBe(401);
    expect(trial.acceptedAfter204).toBe(0);
    expect(await unconfirmedCount(a, 'redis')).toBe(0);
  });

  it('a presence entry left behind delays the answer by the bounded wait, logged and counted', async () => {
    await redis.zadd(presenceKey(), Date.now() + 60_000, 'ghost-instance');
    try {
      const trial = await terminateOnAAskB(a, b, owner);

      await expectWaitedOut(a, trial, 'redis', '1 of 3 instance(s)');
      expect(a.output()).toMatch(/did not confirm within 250 ms \(ghost-instance\)/);
    } finally {
      await redis.zrem(presenceKey(), 'ghost-instance');
    }
  });

  it('an instance killed with SIGKILL costs at most the bounded wait until its entry lapses', async () => {
    c.signal('SIGKILL');
    await c.exited;
    const before = await unconfirmedCount(a, 'redis');

    const trial = await terminateOnAAskB(a, b, owner);

    expect(trial.nextOnB).toBe(401);
    expect(trial.acceptedAfter204).toBe(0);
    expect(trial.deleteMs).toBeLessThan(BOUND_MS + SLACK_MS);
    // Its entry lapses within 3 s of its last heartbeat; then nobody waits for it any more.
    await eventually(async () => expect(await redis.zcard(presenceKey())).toBe(2), {
      timeoutMs: 5000,
    });
    const after = await unconfirmedCount(a, 'redis');
    expect(after - before).toBeLessThanOrEqual(1);
    const next = await terminateOnAAskB(a, b, owner);
    expect(next.nextOnB).toBe(401);
    expect(await unconfirmedCount(a, 'redis')).toBe(after);
  }, 30_000);
});

describe('without Redis (PostgreSQL NOTIFY)', () => {
  let a: DemoProcess;
  let b: DemoProcess;
  let c: DemoProcess;
  let owner: SignedIn;

  beforeAll(async () => {
    const instance = { name: `${NAME}-pg`, env: { REDIS_URL: undefined } };
    [a, b, c] = await startDemos(instance, instance, instance);
    owner = await register(a.baseUrl, { deviceName: 'owner' });
  }, 60_000);

  afterAll(async () => {
    c?.signal('SIGCONT');
    await stopDemos(a, b, c);
  });

  it('a frozen instance (SIGSTOP) delays the answer by the bounded wait, logged and counted', async () => {
    c.signal('SIGSTOP');
    try {
      const trial = await terminateOnAAskB(a, b, owner);

      await expectWaitedOut(a, trial, 'postgres', '1 of 2 instance(s)');
    } finally {
      c.signal('SIGCONT');
    }
  });

  it('an instance killed with SIGKILL is no longer waited for once its connection is gone', async () => {
    c.signal('SIGKILL');
    await c.exited;
    // PostgreSQL ends the dead process's LISTEN connection, and with it its presence.
    await eventually(
      async () => {
        const counted = await unconfirmedCount(a, 'postgres');
        const trial = await terminateOnAAskB(a, b, owner);
        expect(trial.nextOnB).toBe(401);
        expect(trial.acceptedAfter204).toBe(0);
        expect(await unconfirmedCount(a, 'postgres')).toBe(counted);
      },
      { timeoutMs: 5000 },
    );
  }, 30_000);
});
