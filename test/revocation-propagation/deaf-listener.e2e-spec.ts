import { login, me, register, type SignedIn } from '../support/auth.js';
import { query } from '../support/database.js';
import { type DemoProcess, startDemos, stopDemos } from '../support/demo-process.js';
import { expectStatus } from '../support/expect-http.js';
import { ApiClient } from '../support/http-client.js';
import { startDatabaseProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { eventually, sleep } from '../support/timing.js';
import { unconfirmedCount } from '../revocation-acks/revocation-trial.js';

// Security round 3, M1: without Redis, an instance whose LISTEN connection is gone must not answer
// from its in-process copies (it cannot hear revocations), and the instance that revokes must not
// take the deaf one's silence for a confirmation. Before: B accepted the revoked token for ~305 s
// and A's 204 was silent.

const NAME = 'deaf-listener';
const PRESENCE = 'session-auth revocations ';

let a: DemoProcess;
let b: DemoProcess;
let proxy: TcpProxy;
let owner: SignedIn;

beforeAll(async () => {
  let viaProxy: string;
  ({ proxy, url: viaProxy } = await startDatabaseProxy());
  const noRedis = { REDIS_URL: undefined };
  [a, b] = await startDemos(
    { name: NAME, env: noRedis },
    // Only B's direct connection (its LISTEN) goes through the proxy; its pool reaches PostgreSQL.
    { name: NAME, env: { ...noRedis, DATABASE_DIRECT_URL: viaProxy } },
  );
  owner = await register(a.baseUrl, { deviceName: 'owner' });
}, 60_000);

afterAll(async () => {
  await stopDemos(a, b);
  await proxy?.close();
});

/** A device of the owner signed in on B, held live in B's process (two accepted requests). */
async function victimHeldByB(): Promise<{ victim: SignedIn; onB: ApiClient }> {
  const victim = await login(b.baseUrl, owner.email, owner.password, { deviceName: 'victim' });
  const onB = new ApiClient(b.baseUrl);
  expectStatus(await me(onB, victim.accessToken), 200);
  expectStatus(await me(onB, victim.accessToken), 200);
  return { victim, onB };
}

async function terminateOnA(victim: SignedIn): Promise<void> {
  const deleted = await new ApiClient(a.baseUrl).delete(`/auth/sessions/${victim.session.id}`, {
    token: owner.accessToken,
  });
  expectStatus(deleted, 204);
}

async function presentInstances(): Promise<number> {
  const [row] = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND left(application_name, $1) = $2`,
    [PRESENCE.length, PRESENCE],
  );
  return row.n;
}

it('B, whose LISTEN connection was cut, refuses a session revoked on A; A warns and counts it unconfirmed', async () => {
  await eventually(async () => expect(await presentInstances()).toBe(2), { timeoutMs: 10_000 });
  // A looks at presence every second: let it have seen B listening (B has been up a while).
  await sleep(1500);
  const { victim, onB } = await victimHeldByB();
  const before = await unconfirmedCount(a, 'postgres');

  await proxy.cut();
  // PostgreSQL sees B's LISTEN connection close: B is no longer present.
  await eventually(async () => expect(await presentInstances()).toBe(1), { timeoutMs: 5000 });
  await terminateOnA(victim);

  // Deaf B reads the row, not its copy: refused at once, and still refused later.
  expect((await me(onB, victim.accessToken)).status).toBe(401);
  await sleep(1000);
  expect((await me(onB, victim.accessToken)).status).toBe(401);
  // A did not take B's disappearance for a confirmation.
  expect(await unconfirmedCount(a, 'postgres')).toBe(before + 1);
  await eventually(async () => expect(a.output()).toMatch(/answered unconfirmed via postgres/), {
    timeoutMs: 2000,
  });
  expect(b.output()).toMatch(/lost the revocation feed/);

  // Back: B listens again, and keeps refusing.
  await proxy.restore();
  await eventually(async () => expect(await presentInstances()).toBe(2), { timeoutMs: 10_000 });
  expect((await me(onB, victim.accessToken)).status).toBe(401);
}, 60_000);

it('B, whose LISTEN backend was ended by pg_terminate_backend, accepts nothing after the 204', async () => {
  await eventually(async () => expect(await presentInstances()).toBe(2), { timeoutMs: 10_000 });
  const { victim, onB } = await victimHeldByB();

  const [terminated] = await query<{ n: number }>(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = $1`,
    [presenceOfB()],
  );
  expect(terminated.n).toBe(1);
  await terminateOnA(victim);

  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) {
    statuses.push((await me(onB, victim.accessToken)).status);
    await sleep(50);
  }
  expect(statuses.filter((s) => s === 200)).toEqual([]);
}, 60_000);

/** B's presence name, as B logged it when it started listening. */
function presenceOfB(): string {
  const names = [...b.output().matchAll(/listening for revocations as \\?"([^"\\]+)\\?"/g)];
  return names[names.length - 1][1];
}
