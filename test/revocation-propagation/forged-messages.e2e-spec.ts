import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { login, me, register, type SignedIn } from '../support/auth.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { testEnv } from '../support/env.js';
import { expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { eventually, sleep } from '../support/timing.js';
import { unconfirmedCount } from '../revocation-acks/revocation-trial.js';
import { createIntruder, type Intruder } from './intruder.js';

// Security round 3, M2: the PostgreSQL channels must not trust any database client. A real
// LOGIN-only role (which PUBLIC's default CONNECT lets in) tries the three attacks of the report.
// Before: (a) its NOTIFY revoked a live session on every instance (and with Redis wrote keys for
// junk ids); (b) a connection named like the presence prefix made every revocation wait 250 ms
// and warn; (c) forged acks silenced the warning about a frozen instance.

const REVOKED_CHANNEL = 'session_auth_revoked';
const ANNOUNCE_CHANNEL = 'session_auth_revocation_announce';
const PRESENCE = 'session-auth revocations ';

let intruder: Intruder;

beforeAll(async () => {
  intruder = await createIntruder();
});

afterAll(async () => {
  await intruder?.drop();
});

/** A device of `owner` signed in on `on`, accepted on every instance of `all` (each holds a copy). */
async function liveDevice(owner: SignedIn, on: DemoProcess, all: DemoProcess[]): Promise<SignedIn> {
  const device = await login(on.baseUrl, owner.email, owner.password, { deviceName: 'device' });
  for (const demo of all)
    expectStatus(await me(new ApiClient(demo.baseUrl), device.accessToken), 200);
  return device;
}

async function statusOn(demo: DemoProcess, device: SignedIn): Promise<number> {
  return (await me(new ApiClient(demo.baseUrl), device.accessToken)).status;
}

/** The intruder's NOTIFY naming a live session and junk; the instances get a moment to act on it. */
async function forgeRevocation(sessionId: string): Promise<void> {
  const client = await intruder.connect();
  await client.query('SELECT pg_notify($1, $2)', [REVOKED_CHANNEL, `${sessionId},../../y,*`]);
  await sleep(500);
}

describe('without Redis', () => {
  let a: DemoProcess;
  let b: DemoProcess;
  let owner: SignedIn;

  beforeAll(async () => {
    const instance = { name: 'forged-messages', env: { REDIS_URL: undefined } };
    [a, b] = await startDemos(instance, instance);
    owner = await register(a.baseUrl, { deviceName: 'owner' });
  }, 60_000);

  afterAll(async () => {
    b?.signal('SIGCONT');
    await stopDemos(a, b);
  });

  it('(a) a NOTIFY from another role naming a live session revokes it nowhere', async () => {
    const device = await liveDevice(owner, a, [a, b]);

    await forgeRevocation(device.session.id);

    expect(await statusOn(a, device)).toBe(200);
    expect(await statusOn(b, device)).toBe(200);
  });

  it('(b) a connection of another role named like an instance neither delays a revocation nor makes it warn', async () => {
    const fake = randomBytes(16).toString('hex');
    await intruder.connect(`${PRESENCE}${fake}`);
    const device = await liveDevice(owner, b, [a, b]);
    const before = await unconfirmedCount(a, 'postgres');

    const deleted = await new ApiClient(a.baseUrl).delete(`/auth/sessions/${device.session.id}`, {
      token: owner.accessToken,
    });

    expectStatus(deleted, 204);
    expect(await statusOn(b, device)).toBe(401);
    await sleep(300); // a warning would be on its way through stdout
    expect(await unconfirmedCount(a, 'postgres')).toBe(before);
    expect(a.output()).not.toContain(fake);
  });

  it('(c) acks forged by another role do not silence the warning about a frozen instance', async () => {
    const listener = await intruder.connect();
    const forger = await intruder.connect();
    // Answers every announcement at once, as every instance it sees present (application_name is
    // visible to any role), unsigned and with a made-up MAC, before A can time B out.
    listener.on('notification', ({ payload = '' }) => {
      const [requestId, from] = payload.split(' ');
      void forger
        .query(
          `SELECT pg_notify($1, $2 || ' ' || substr(application_name, $3)),
                  pg_notify($1, $2 || ' ' || substr(application_name, $3) || ' ' || $4)
             FROM pg_stat_activity WHERE left(application_name, $5) = $6`,
          [
            `session_auth_revocation_ack_${from}`,
            requestId,
            PRESENCE.length + 1,
            'A'.repeat(43),
            PRESENCE.length,
            PRESENCE,
          ],
        )
        .catch(() => undefined);
    });
    await listener.query(`LISTEN ${ANNOUNCE_CHANNEL}`);
    const device = await liveDevice(owner, b, [a, b]);
    const before = await unconfirmedCount(a, 'postgres');

    b.signal('SIGSTOP');
    try {
      const deleted = await new ApiClient(a.baseUrl).delete(`/auth/sessions/${device.session.id}`, {
        token: owner.accessToken,
      });
      expectStatus(deleted, 204);
      await eventually(
        async () =>
          expect(a.output()).toMatch(/1 of 1 instance\(s\) did not confirm within 250 ms/),
        { timeoutMs: 2000 },
      );
      expect(await unconfirmedCount(a, 'postgres')).toBe(before + 1);
    } finally {
      b.signal('SIGCONT');
      await listener.query(`UNLISTEN ${ANNOUNCE_CHANNEL}`);
    }
  });
});

describe('with Redis', () => {
  let c: DemoProcess;
  let d: DemoProcess;
  let owner: SignedIn;
  let redis: Redis;
  const prefix = `${testEnv().redisPrefix}forged-messages-redis:`;

  beforeAll(async () => {
    [c, d] = await startDemos({ name: 'forged-messages-redis' }, { name: 'forged-messages-redis' });
    redis = new Redis(testEnv().redisUrl);
    owner = await register(c.baseUrl, { deviceName: 'owner' });
  }, 60_000);

  afterAll(async () => {
    await redis?.quit();
    await stopDemos(c, d);
  });

  it('(a) a NOTIFY from another role marks nothing in Redis: the session lives, junk ids write no keys', async () => {
    const device = await liveDevice(owner, d, [c, d]);

    await forgeRevocation(device.session.id);

    expect(await statusOn(c, device)).toBe(200);
    expect(await statusOn(d, device)).toBe(200);
    const state = await redis.get(`${prefix}session:${device.session.id}`);
    expect(state === null || JSON.parse(state).revoked === false).toBe(true);
    expect(await redis.keys(`${prefix}session:.*`)).toEqual([]);
    expect(await redis.exists(`${prefix}session:../../y`, `${prefix}session:*`)).toBe(0);
  });
});
